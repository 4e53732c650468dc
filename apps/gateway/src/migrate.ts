import 'reflect-metadata';
import { createLogger, loadEnv } from '@tollgate/common';
import { migrate } from './bootstrap';

/** `npm run db:migrate`: applies pending migrations (safe to run while gateways start). */
async function main(): Promise<void> {
  const env = loadEnv(process.env, 'migrate');
  await migrate(env.databaseUrl!, createLogger(env.logLevel, 'tollgate-migrate'));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
