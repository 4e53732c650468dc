import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Env, Logger, PinoNestLogger, exitOnShutdownSignals } from '@tollgate/common';
import { WorkerModule } from './worker.module';

const WORKER_SHUTDOWN_DEADLINE_MS = 25_000;

/** The worker: a Nest application context (no HTTP) running the queue processors. */
export async function startWorker(env: Env, logger: Logger, options: { shutdownHooks?: boolean } = {}): Promise<INestApplicationContext> {
  if (env.mode !== 'production') {
    throw new Error('the worker needs DATABASE_URL and REDIS_URL (standalone mode runs its processors inside the gateway)');
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(env, logger), {
    logger: new PinoNestLogger(logger),
  });
  await app.init();
  // Its close is bounded by the queue worker's own 10 s; the deadline only catches what is not.
  if (options.shutdownHooks ?? true) exitOnShutdownSignals(() => app.close(), logger, WORKER_SHUTDOWN_DEADLINE_MS);
  return app;
}
