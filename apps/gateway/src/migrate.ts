import 'reflect-metadata';
import { createLogger, exitOnSignalsUntilStarted, loadEnv } from '@tollgate/common';
import { migrate } from './bootstrap';

/** `npm run db:migrate`: applies pending migrations (safe to run while gateways start). */
async function main(): Promise<void> {
  const env = loadEnv(process.env, 'migrate');
  const logger = createLogger(env.logLevel, 'tollgate-migrate');
  // A stopped Job (waiting for Postgres or another replica's lock) exits at once, PID 1 included.
  exitOnSignalsUntilStarted(logger);
  await migrate(env.databaseUrl!, logger);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
