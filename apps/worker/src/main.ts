import 'reflect-metadata';
import { Env, EnvValidationError, createLogger, describeStartupFailure, exitOnSignalsUntilStarted, loadEnv } from '@tollgate/common';
import { startWorker } from './bootstrap';
import { workerQueuesProblem } from './worker.module';

async function main(): Promise<void> {
  let env;
  try {
    const queues = (loaded: Env): string[] => {
      const problem = workerQueuesProblem(loaded);
      return problem ? [problem] : [];
    };
    env = loadEnv(process.env, 'worker', [queues]);
  } catch (error) {
    if (error instanceof EnvValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(env.logLevel, 'tollgate-worker');
  // While it connects (Postgres is retried for about half a minute), a signal ends it at once.
  const stopStartupSignals = exitOnSignalsUntilStarted(logger);
  await startWorker(env, logger);
  stopStartupSignals();
}

void main().catch((error: unknown) => {
  process.stderr.write(`tollgate worker failed to start: ${describeStartupFailure(error)}\n`);
  process.exit(1);
});
