import { randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { createLogger, loadEnv } from '@tollgate/common';
import { createTestDatabase } from '@tollgate/database';
import { QueueName } from '@tollgate/queue';
import { bullmqConnectionOptions } from '@tollgate/redis';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { Client } from 'pg';
import { RunningGateway, startGateway } from '../../src/bootstrap';
import { startWorker } from '../../../worker/src/bootstrap';
import { WorkerMetrics } from '../../../worker/src/metrics/worker-metrics';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestStack {
  proxyUrl: string;
  adminUrl: string;
  adminKey: string;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** The environment a replica (a spawned gateway or worker process) needs to join this stack. */
  replicaEnv: { DATABASE_URL: string; REDIS_URL: string; ADMIN_API_KEY: string; ENCRYPTION_KEY: string; QUEUE_PREFIX: string };
  /** Every log line both processes wrote, for "never logged" assertions. */
  logs: string[];
  admin: AdminCall;
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  eventsQueue(): Queue;
  /** The worker's Prometheus endpoint (WORKER_METRICS_PORT=0: an ephemeral port). */
  workerMetricsUrl: string;
  /** The gateway's Nest application, for tests that watch a service's own state. */
  gatewayApp: INestApplicationContext;
  /** The worker's Nest application context, likewise. */
  workerApp: INestApplicationContext;
  /** Stops the gateway as SIGTERM does (drain, then its shutdown hooks); close() stops the rest. */
  closeGateway(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Boots the real gateway and the real worker against a fresh Postgres database and the
 * local Redis (isolated by a queue/channel prefix), both on ephemeral ports. `prepareDatabase`
 * runs on the empty database before the gateway migrates it (to stand for an older one).
 */
export async function startTestStack(extraEnv: Record<string, string> = {}, options: { prepareDatabase?: (databaseUrl: string) => Promise<void> } = {}): Promise<TestStack> {
  const database = await createTestDatabase(TEST_DATABASE_URL);
  const queuePrefix = `tgtest-${randomBytes(4).toString('hex')}`;
  const adminKey = `admin-${randomBytes(16).toString('hex')}`;
  const encryptionKey = randomBytes(32).toString('hex');
  const env = loadEnv({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    ADMIN_API_KEY: adminKey,
    ENCRYPTION_KEY: encryptionKey,
    PROXY_PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    QUEUE_PREFIX: queuePrefix,
    EVENT_FLUSH_INTERVAL_MS: '10',
    WORKER_BATCH_WAIT_MS: '10',
    LOG_LEVEL: 'debug',
    // The fake providers listen on 127.0.0.1 over plain http: the SSRF guard's allow-list admits that address only.
    UPSTREAM_ALLOWED_HOSTS: '127.0.0.1',
    WORKER_METRICS_PORT: '0',
    ...extraEnv,
  });
  const logs: string[] = [];
  const sink = { write: (line: string) => void logs.push(line) };
  let gateway: RunningGateway | null = null;
  let worker: INestApplicationContext | null = null;
  const pg = new Client({ connectionString: database.url });
  try {
    await options.prepareDatabase?.(database.url);
    gateway = await startGateway(env, createLogger(env.logLevel, 'gateway', sink), { shutdownHooks: false });
    worker = await startWorker(env, createLogger(env.logLevel, 'worker', sink), { shutdownHooks: false });
    await pg.connect();
  } catch (error) {
    // A stack that fails to start leaves no process state and no database behind.
    await gateway?.close().catch(() => undefined);
    await worker?.close().catch(() => undefined);
    await database.drop().catch(() => undefined);
    throw error;
  }
  const queues: Queue[] = [];
  let gatewayClosed: Promise<void> | null = null;
  const closeGateway = () => (gatewayClosed ??= gateway!.close());

  const adminUrl = `http://127.0.0.1:${gateway.adminPort}`;
  return {
    proxyUrl: `http://127.0.0.1:${gateway.proxyPort}`,
    adminUrl,
    adminKey,
    databaseUrl: database.url,
    redisUrl: env.redisUrl!,
    queuePrefix,
    replicaEnv: { DATABASE_URL: database.url, REDIS_URL: env.redisUrl!, ADMIN_API_KEY: adminKey, ENCRYPTION_KEY: encryptionKey, QUEUE_PREFIX: queuePrefix },
    logs,
    admin: adminClient(adminUrl, adminKey),
    workerMetricsUrl: `http://127.0.0.1:${worker.get(WorkerMetrics).port}/metrics`,
    gatewayApp: gateway.app,
    workerApp: worker,
    sql: async (query, params) => (await pg.query(query, params)).rows,
    eventsQueue: () => {
      const queue = new Queue(QueueName.RequestEvents, { connection: bullmqConnectionOptions(env.redisUrl!), prefix: queuePrefix });
      queues.push(queue);
      return queue;
    },
    closeGateway,
    close: async () => {
      // Every step is tried, whatever failed before it (a test that breaks Redis makes some fail):
      // a step skipped leaves its connections open, and the test run waiting on them.
      const steps = [
        // One after the other: an obliterate ends the queue's pause, which another one run
        // alongside has just set and needs ("Cannot obliterate non-paused queue").
        async () => {
          for (const queue of queues) await queue.obliterate({ force: true }).finally(() => queue.close());
        },
        () => closeGateway(),
        () => worker!.close(),
        () => pg.end(),
        () => deleteRedisKeys(env.redisUrl!, `${queuePrefix}:*`),
        () => database.drop(),
      ];
      const failures: unknown[] = [];
      for (const step of steps) await step().catch((error: unknown) => failures.push(error));
      if (failures.length > 0) throw failures[0];
    },
  };
}

/** An admin API call: JSON in and out (null for an empty body), authenticated with the admin key. */
export type AdminCall = <T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: T }>;

/** Admin API calls to one gateway; with `timeoutMs`, a hung gateway fails the call rather than the test. */
export function adminClient(adminUrl: string, adminKey: string, timeoutMs?: number): AdminCall {
  return async (method, path, body, headers = {}) => {
    const response = await fetch(`${adminUrl}${path}`, {
      method,
      headers: { 'x-api-key': adminKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as never };
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What a test left in the shared test Redis (limit counters, markers, the queue's own keys). */
export async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  // A refused connection fails the commands below; ioredis would also print it as unhandled.
  redis.on('error', () => undefined);
  try {
    const keys = await redis.keys(pattern);
    for (let start = 0; start < keys.length; start += 1_000) await redis.del(...keys.slice(start, start + 1_000));
  } finally {
    redis.disconnect();
  }
}
