import Redis from 'ioredis';
import { createTestDatabase } from '@tollgate/database';
import { LimitKeys } from '@tollgate/limits';
import { Client } from 'pg';
import { GuardedProcess } from './support/child-process';
import { FakeOpenAI } from './support/fake-openai';
import { ACTUAL_NANO, reservedNano } from './support/pricing';
import { chat, issueKey } from './support/proxy-client';
import { AdminCall, TEST_DATABASE_URL, TEST_REDIS_URL, adminClient, deleteRedisKeys, eventually } from './support/test-stack';
import { GatewayProcess, processEnv, spawnGateway, spawnWorker } from './support/tollgate-process';

/**
 * A budget while the worker is down: the events wait in the queue, and what their requests
 * reserved must keep counting until the worker settles them, however long that takes. A
 * reservation lasts 15 minutes (1.5 × the upstream timeout) until its event is queued; queued,
 * it is held for as long as the worker may retry the event (about 8 days).
 */
describe('budgets while the worker is down (e2e, gateway and worker processes)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let pg: Client;
  let upstream: FakeOpenAI;
  let gateway: GatewayProcess;
  let worker: GuardedProcess | null = null;
  let admin: AdminCall;
  let redis: Redis;
  let settingId: string;
  let env: Parameters<typeof spawnGateway>[0];

  beforeAll(async () => {
    database = await createTestDatabase(TEST_DATABASE_URL);
    pg = new Client({ connectionString: database.url });
    await pg.connect();
    upstream = new FakeOpenAI();
    await upstream.start();
    env = processEnv(database.url, TEST_REDIS_URL);
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    gateway = await spawnGateway(env);
    admin = adminClient(gateway.adminUrl, env.ADMIN_API_KEY, 5_000);
    settingId = (await admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } })).body.id;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    redis.disconnect();
    // The queue and the held reservations would otherwise stay in the shared test Redis.
    await deleteRedisKeys(TEST_REDIS_URL, `${env.QUEUE_PREFIX}:*`);
    await pg?.end();
    await database?.drop();
    await upstream?.stop();
  });

  /** When a request's reservation expires now (epoch ms), from its member's score. */
  const reservationExpiry = async (keyId: string, requestId: string): Promise<number | null> => {
    const members = await redis.zrange(new LimitKeys(env.QUEUE_PREFIX).reservations('key', keyId).setKey, 0, -1, 'WITHSCORES');
    const index = members.findIndex((member) => member.startsWith(`${requestId}:`));
    return index === -1 ? null : Number(members[index + 1]);
  };

  it('holds the reservations of the events a stopping gateway queues last', async () => {
    // Events wait in this gateway's buffer until it stops, then go out in its final flush.
    const stopping = await spawnGateway({ ...env, EVENT_FLUSH_INTERVAL_MS: '60000' });
    const { key, keyId } = await issueKey(admin, [stopping.proxyUrl], 'shutdown', [settingId], { costLimitInUsd: 1 });
    const response = await chat(stopping.proxyUrl, key, { max_tokens: 5 });
    expect(response.status).toBe(200);
    const requestId = response.headers['x-request-id'] as string;
    // Admitted for the admission TTL (15 minutes)...
    expect(await reservationExpiry(keyId, requestId)).toBeLessThan(Date.now() + 3_600_000);
    await stopping.stop();
    // ...then held, once queued at shutdown, for as long as the worker may retry the event.
    expect(await reservationExpiry(keyId, requestId)).toBeGreaterThan(Date.now() + 86_400_000);
  }, 60_000);

  it("holds a queued request's reservation while the worker is down, until the returning worker settles it", async () => {
    // Room for one worst case while it is reserved, and for a second once the first costs only what it did.
    const maxTokens = 20;
    const limitNano = ACTUAL_NANO + reservedNano(maxTokens);
    expect(2 * reservedNano(maxTokens)).toBeGreaterThan(limitNano);
    const { key, keyId } = await issueKey(admin, [gateway.proxyUrl], 'outage', [settingId], { costLimitInUsd: limitNano / 1e9 });

    const first = await chat(gateway.proxyUrl, key, { max_tokens: maxTokens });
    expect(first.status).toBe(200);
    const requestId = first.headers['x-request-id'] as string;
    // Queued, with no worker to settle it: held for days, not minutes.
    await eventually(async () => ((await reservationExpiry(keyId, requestId)) ?? 0) > Date.now() + 86_400_000 || undefined, 5_000, 'the reservation held');
    const refused = await chat(gateway.proxyUrl, key, { max_tokens: maxTokens });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'cost_limit_exceeded' });

    worker = await spawnWorker(env);
    await eventually(
      async () => {
        const [row] = (await pg.query<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId])).rows;
        return Math.round(Number(row.spent_usd) * 1e9) === ACTUAL_NANO ? true : undefined;
      },
      10_000,
      'the queued event settled',
    );
    // Settled: the reservation is gone, the first request counts what it cost, and the next fits.
    expect(await reservationExpiry(keyId, requestId)).toBeNull();
    expect((await chat(gateway.proxyUrl, key, { max_tokens: maxTokens })).status).toBe(200);
  }, 60_000);
});
