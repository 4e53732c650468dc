import { createLogger } from '@tollgate/common';
import { createTestDatabase } from '@tollgate/database';
import { migrate } from '../src/bootstrap';
import { GuardedProcess } from './support/child-process';
import { RedisServer, freePort } from './support/redis-server';
import { TEST_DATABASE_URL, eventually } from './support/test-stack';
import { processEnv, spawnWorker } from './support/tollgate-process';

/** The level of a pino line (50: error), or null for a line that is not one. */
function levelOf(line: string): number | null {
  try {
    return (JSON.parse(line) as { level?: number }).level ?? null;
  } catch {
    return null;
  }
}

/**
 * A worker process (the built one, as production runs it) whose dependencies are not all there:
 * a database whose migrations have not run yet, a private redis-server frozen (SIGSTOP), then
 * stopped. What an operator sees: its readiness probe, its metrics, its logs.
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
    redis?.resume();
    await worker?.stop();
    await redis?.kill();
    await database?.drop();
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${metricsPort}${path}`, { signal: AbortSignal.timeout(10_000) });
  const probe = async () => {
    const response = await get('/health/ready');
    return { status: response.status, body: (await response.json()) as unknown };
  };
  /** A scrape, and how long it took. */
  const scrape = async () => {
    const started = Date.now();
    const response = await get('/metrics');
    return { status: response.status, text: await response.text(), ms: Date.now() - started };
  };
  const hasSeries = (text: string, name: string) => new RegExp(`^${name}(\\{[^}]*\\})? `, 'm').test(text);

  it('is not ready until the migrations are applied, as the gateway', async () => {
    expect(await probe()).toEqual({ status: 503, body: { status: 'unavailable', checks: { postgres: 'ok', redis: 'ok', migrations: 'pending' } } });
    await migrate(database.url, createLogger('warn', 'migrate'));
    expect(await probe()).toEqual({ status: 200, body: { status: 'ok', checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' } } });
  });

  it('answers scrapes at once while Redis is frozen, without the backlog gauges, and says so once, not once per scrape', async () => {
    const healthy = await scrape();
    expect(healthy.text).toMatch(/^tollgate_worker_events_waiting 0$/m);
    expect(healthy.text).toMatch(/^tollgate_worker_oldest_waiting_event_age_seconds 0$/m);
    const unavailable = () => worker.lines.filter((line) => line.includes('metrics: event queue backlog unavailable'));
    expect(unavailable()).toHaveLength(0);

    redis.pause();
    try {
      for (let n = 0; n < 3; n++) {
        const frozen = await scrape();
        expect(frozen.status).toBe(200);
        // Bounded by the read's 1 s timeout, well inside Prometheus' default 10 s scrape timeout.
        expect(frozen.ms).toBeLessThan(2_500);
        expect(hasSeries(frozen.text, 'tollgate_worker_events_waiting')).toBe(false);
        expect(hasSeries(frozen.text, 'tollgate_worker_oldest_waiting_event_age_seconds')).toBe(false);
        // The rest of the scrape is served.
        expect(hasSeries(frozen.text, 'tollgate_worker_event_lag_seconds_count')).toBe(true);
        expect(hasSeries(frozen.text, 'tollgate_limit_store_failures_total')).toBe(true);
      }
      expect(unavailable()).toHaveLength(1);
    } finally {
      redis.resume();
    }
    await eventually(async () => (/^tollgate_worker_events_waiting 0$/m.test((await scrape()).text) ? true : undefined), 10_000, 'the gauges back');
  });

  it('logs a stopped Redis as one warning per interval, never as an error, and comes back by itself', async () => {
    const from = worker.lines.length;
    const since = () => worker.lines.slice(from);
    await redis.stop();
    const stopped = await scrape();
    expect(stopped.status).toBe(200);
    expect(hasSeries(stopped.text, 'tollgate_worker_events_waiting')).toBe(false);

    // BullMQ reports every reconnection of its connections while Redis is away.
    const queueWarnings = () => since().filter((line) => line.includes('"context":"RequestEventsProcessor"') && line.includes('redis connection error'));
    await eventually(async () => (queueWarnings().length > 0 ? true : undefined), 10_000, "the event worker's warning");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(queueWarnings()).toHaveLength(1);
    expect(levelOf(queueWarnings()[0])).toBe(40);
    // An outage the worker waits out is no error: nothing at error level since Redis went away.
    expect(since().filter((line) => (levelOf(line) ?? 0) >= 50)).toEqual([]);

    await redis.restart();
    await eventually(async () => ((await probe()).status === 200 ? true : undefined), 15_000, 'ready again');
    await eventually(async () => (/^tollgate_worker_events_waiting 0$/m.test((await scrape()).text) ? true : undefined), 10_000, 'the gauges back');
  }, 40_000);
});
