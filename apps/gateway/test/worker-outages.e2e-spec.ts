import { createLogger } from '@tollgate/common';
import { createTestDatabase } from '@tollgate/database';
import { migrate } from '../src/bootstrap';
import { GuardedProcess } from './support/child-process';
import { RedisServer, freePort } from './support/redis-server';
import { TEST_DATABASE_URL } from './support/test-stack';
import { processEnv, spawnWorker } from './support/tollgate-process';

/**
 * A worker process (the built one, as production runs it) whose dependencies are not all there:
 * a database whose migrations have not run yet. What an operator sees: its readiness probe.
 */
describe('the worker when Postgres is not migrated or Redis is away (e2e, worker process)', () => {
  let redis: RedisServer;
  let database: { url: string; drop: () => Promise<void> };
  let worker: GuardedProcess;
  let metricsPort: number;

  beforeAll(async () => {
    redis = await RedisServer.start();
    // A database the migrations have not reached: a worker rolled out before them.
    database = await createTestDatabase(TEST_DATABASE_URL);
    metricsPort = await freePort();
    worker = await spawnWorker({ ...processEnv(database.url, redis.url), WORKER_METRICS_PORT: String(metricsPort) });
  }, 30_000);

  afterAll(async () => {
    await worker?.stop();
    await redis?.kill();
    await database?.drop();
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${metricsPort}${path}`, { signal: AbortSignal.timeout(10_000) });
  const probe = async () => {
    const response = await get('/health/ready');
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('is not ready until the migrations are applied, as the gateway', async () => {
    expect(await probe()).toEqual({ status: 503, body: { status: 'unavailable', checks: { postgres: 'ok', redis: 'ok', migrations: 'pending' } } });
    await migrate(database.url, createLogger('warn', 'migrate'));
    expect(await probe()).toEqual({ status: 200, body: { status: 'ok', checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' } } });
  });
});
