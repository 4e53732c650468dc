import 'reflect-metadata';
import { createLogger, loadEnv } from '@tollgate/common';
import { migrate } from './bootstrap';

/** `npm run db:migrate`: applies pending migrations (safe to run while gateways start). */
async function main(): Promise<void> {
  const env = loadEnv();
  if (!env.databaseUrl) throw new Error('DATABASE_URL is required to run migrations');
  await migrate(env.databaseUrl, createLogger(env.logLevel, 'tollgate-migrate'));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
