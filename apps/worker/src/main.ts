import 'reflect-metadata';
import { EnvValidationError, createLogger, describeStartupFailure, loadEnv } from '@tollgate/common';
import { startWorker } from './bootstrap';
import { workerQueuesProblem } from './worker.module';

async function main(): Promise<void> {
  let env;
  try {
    env = loadEnv(process.env, 'worker');
    const queues = workerQueuesProblem(env);
    if (queues) throw new EnvValidationError([queues]);
  } catch (error) {
    if (error instanceof EnvValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  await startWorker(env, createLogger(env.logLevel, 'tollgate-worker'));
}

void main().catch((error: unknown) => {
  process.stderr.write(`tollgate worker failed to start: ${describeStartupFailure(error)}\n`);
  process.exit(1);
});
