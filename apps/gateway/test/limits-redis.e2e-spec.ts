import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@tollgate/database';
import { Client } from 'pg';
import { FakeOpenAI } from './support/fake-openai';
import { ACTUAL_NANO, maxTokensAbove, maxTokensWithin, reservedNano } from './support/pricing';
import { ProxyResponse, chat, issueKey } from './support/proxy-client';
import { RedisServer } from './support/redis-server';
import { GatewayProcess, ProcessEnv, spawnGateway, spawnWorker } from './support/tollgate-process';
import { GuardedProcess } from './support/child-process';
import { AdminCall, TEST_DATABASE_URL, adminClient, eventually } from './support/test-stack';

/**
 * Redis is a cache of limit counters, never the source of truth, and never a reason for a
 * request to hang. A production gateway process and worker process run against a private
 * redis-server that the tests flush, freeze (SIGSTOP), stop and restart.
 */
describe('limits when Redis is flushed, frozen or restarted (e2e, gateway and worker processes)', () => {
  let redis: RedisServer;
  let database: { url: string; drop: () => Promise<void> };
  let pg: Client;
  let upstream: FakeOpenAI;
  let gateway: GatewayProcess;
  let worker: GuardedProcess;
  let admin: AdminCall;
  let queuePrefix: string;
  let adminKey: string;
  let env: ProcessEnv;
  let settingId: string;
  /** A key with a $0.0001 lifetime budget, spent in part by the first test. */
  let budget: { key: string; keyId: string };
  const limitNano = 100_000;

  beforeAll(async () => {
    redis = await RedisServer.start();
    database = await createTestDatabase(TEST_DATABASE_URL);
    pg = new Client({ connectionString: database.url });
    await pg.connect();
    upstream = new FakeOpenAI();
    await upstream.start();
    adminKey = `admin-${randomBytes(16).toString('hex')}`;
    queuePrefix = `tgtest-${randomBytes(4).toString('hex')}`;
    env = { DATABASE_URL: database.url, REDIS_URL: redis.url, ADMIN_API_KEY: adminKey, ENCRYPTION_KEY: randomBytes(32).toString('hex'), QUEUE_PREFIX: queuePrefix };
    gateway = await spawnGateway(env);
    admin = adminClient(gateway.adminUrl, adminKey, 5_000);
    worker = await spawnWorker(env);
    settingId = (await admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } })).body.id;
    budget = await createKey({ costLimitInUsd: limitNano / 1e9 });
  }, 60_000);

  afterAll(async () => {
    // Thaw Redis first, so nothing waits on a frozen server while shutting down.
    redis?.resume();
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await redis?.kill();
    await pg?.end();
    await database?.drop();
    await upstream?.stop();
  });

  const createKey = (limits: Record<string, unknown>) => issueKey(admin, [gateway.proxyUrl], 'redis', [settingId], limits);

  const settledSpendNano = async (keyId: string): Promise<number> => {
    const [row] = (await pg.query<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId])).rows;
    return Math.round(Number(row.spent_usd) * 1e9);
  };
  const spentCounter = async (keyId: string) => Number((await redis.client().get(`${queuePrefix}:limits:spent:key:${keyId}:total`)) ?? 0);
  const ready = () => fetch(`${gateway.adminUrl}/health/ready`, { signal: AbortSignal.timeout(5_000) });

  const expectBudgetRefusal = (response: ProxyResponse) => {
    expect(response.status).toBe(429);
    expect(response.body.error).toMatchObject({ type: 'insufficient_quota', code: 'cost_limit_exceeded' });
  };
  const expectUnavailable = (response: ProxyResponse) => {
    expect(response.status).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(response.body).toEqual({ error: { message: expect.any(String), type: 'api_error', param: null, code: 'limits_unavailable' } });
  };

  it('FLUSHALL does not reset a budget: spend counters are rebuilt from Postgres', async () => {
    // A registered user with a budget of its own shares the spend; an unregistered user id does not count.
    expect((await admin('POST', '/api/users', { name: 'flush', userId: 'flush-user', costLimitInUsd: 1 })).status).toBe(200);
    const userCounter = async () => Number((await redis.client().get(`${queuePrefix}:limits:spent:user:flush-user:total`)) ?? 0);
    const first = await Promise.all(Array.from({ length: 5 }, (_, i) => chat(gateway.proxyUrl, budget.key, { max_tokens: 5, user: i < 4 ? 'flush-user' : 'not-a-user' })));
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await eventually(async () => ((await settledSpendNano(budget.keyId)) === 5 * ACTUAL_NANO && (await spentCounter(budget.keyId)) === 5 * ACTUAL_NANO ? true : undefined), 10_000, 'spend settled');
    expect(await userCounter()).toBe(4 * ACTUAL_NANO);
    const left = limitNano - 5 * ACTUAL_NANO;
    // A request worth a little more than what is left would fit the untouched budget...
    const over = maxTokensAbove(left);
    expect(reservedNano(over)).toBeLessThanOrEqual(limitNano);
    // ...and is refused before the flush.
    expectBudgetRefusal(await chat(gateway.proxyUrl, budget.key, { max_tokens: over }));

    await redis.flushAll();
    // (BullMQ's worker may recreate its own bookkeeping keys at once; the limit counters are gone.)
    expect(await redis.client().keys(`${queuePrefix}:limits:*`)).toEqual([]);

    expectBudgetRefusal(await chat(gateway.proxyUrl, budget.key, { max_tokens: over }));
    // The counters came back from Postgres, exactly: the key's and the registered user's.
    expect(await spentCounter(budget.keyId)).toBe(5 * ACTUAL_NANO);
    expect(await userCounter()).toBe(4 * ACTUAL_NANO);
    expect(await redis.client().keys(`${queuePrefix}:limits:*not-a-user*`)).toEqual([]);
    const fits = await chat(gateway.proxyUrl, budget.key, { max_tokens: maxTokensWithin(left) });
    expect(fits.status).toBe(200);
    await eventually(async () => ((await settledSpendNano(budget.keyId)) === 6 * ACTUAL_NANO ? true : undefined), 10_000, 'spend settled after the flush');
  });

  describe('Redis frozen (SIGSTOP), then thawed', () => {
    let limited: { key: string; keyId: string };
    let unlimited: { key: string; keyId: string };

    beforeAll(async () => {
      limited = await createKey({ rateLimitOverTime: 1_000, rateLimitUnit: 'h' });
      unlimited = await createKey({});
      expect((await chat(gateway.proxyUrl, limited.key)).status).toBe(200);
      expect((await chat(gateway.proxyUrl, unlimited.key)).status).toBe(200);
    });

    afterAll(() => redis.resume());

    it('fails a limited key closed within ~1.5 s (503 + retry-after), keeps an unlimited key working, and readiness reports Redis down', async () => {
      redis.pause();
      const [limitedResponse, unlimitedResponse, readiness] = await Promise.all([
        chat(gateway.proxyUrl, limited.key, {}, {}, 5_000),
        chat(gateway.proxyUrl, unlimited.key, { user: 'during-freeze' }, {}, 5_000),
        ready(),
      ]);
      expectUnavailable(limitedResponse);
      expect(limitedResponse.ms).toBeLessThan(1_500);
      expect(unlimitedResponse.status).toBe(200);
      expect(unlimitedResponse.ms).toBeLessThan(1_500);
      expect(readiness.status).toBe(503);
      expect(await readiness.json()).toMatchObject({ status: 'unavailable', checks: { redis: 'down', postgres: 'ok' } });
      // Still frozen: budgeted keys fail closed the same way, without hanging.
      const budgeted = await chat(gateway.proxyUrl, budget.key, { max_tokens: 5 }, {}, 5_000);
      expectUnavailable(budgeted);
      expect(budgeted.ms).toBeLessThan(1_500);

      redis.resume();
      // Redis ran the budgeted admission when it thawed, after the gateway had refused the
      // request: that reservation is released, not left to hold budget until its TTL.
      const { setKey, totalKey } = { setKey: `${queuePrefix}:limits:reservations:key:${budget.keyId}`, totalKey: `${queuePrefix}:limits:reservations-total:key:${budget.keyId}` };
      await eventually(async () => ((await redis.client().zcard(setKey)) === 0 ? true : undefined), 5_000, 'reservation of the unanswered admission released');
      expect(Number((await redis.client().get(totalKey)) ?? 0)).toBe(0);
      await eventually(async () => ((await chat(gateway.proxyUrl, limited.key)).status === 200 ? true : undefined), 5_000, 'limited key admitted again');
      await eventually(async () => ((await ready()).status === 200 ? true : undefined), 5_000, 'ready again');
      // The event of the request served during the freeze was delivered once Redis came back.
      const requestId = unlimitedResponse.headers['x-request-id'];
      await eventually(async () => ((await pg.query('SELECT 1 FROM events WHERE id = $1', [requestId])).rowCount === 1 ? true : undefined), 15_000, 'event of the frozen period');
    });
  });

  it('Redis stopped: limited keys fail fast with 503; restarted on the same port, everything recovers by itself with spend rebuilt', async () => {
    const limited = await createKey({ rateLimitOverTime: 1_000, rateLimitUnit: 'h' });
    expect((await chat(gateway.proxyUrl, limited.key)).status).toBe(200);
    const spent = await settledSpendNano(budget.keyId);
    const admitFailures = async () => {
      const text = await (await fetch(`${gateway.adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
      return Number(/^tollgate_limit_store_failures_total\{operation="admit"\} (\S+)$/m.exec(text)?.[1]);
    };
    const failedBefore = await admitFailures();
    expect(failedBefore).toBeGreaterThanOrEqual(0);

    await redis.stop();
    const down = await chat(gateway.proxyUrl, limited.key, {}, {}, 5_000);
    expectUnavailable(down);
    expect(down.ms).toBeLessThan(1_500);
    expectUnavailable(await chat(gateway.proxyUrl, budget.key, { max_tokens: 5 }, {}, 5_000));
    expect((await ready()).status).toBe(503);
    // Operators see the limits degraded in the metrics, not only in the log: both admissions failed.
    expect(await admitFailures()).toBe(failedBefore + 2);

    await redis.restart();
    expect(await redis.client().dbsize()).toBe(0);
    await eventually(async () => ((await chat(gateway.proxyUrl, limited.key)).status === 200 ? true : undefined), 10_000, 'limited key admitted after the restart');
    // Redis came back empty (no persistence): both processes say that queued events were lost.
    for (const process of [gateway.process, worker]) {
      await eventually(async () => (process.lines.some((line) => line.includes('Redis lost its data') && line.includes('"seen":"while-running"') && line.includes('"level":50')) ? true : undefined), 10_000, 'the loss reported');
    }
    const metrics = await (await fetch(`${gateway.adminUrl}/metrics`, { headers: { 'x-api-key': adminKey } })).text();
    expect(metrics).toMatch(/^tollgate_redis_data_loss_total\{seen="while-running"\} 1$/m);
    await eventually(async () => ((await ready()).status === 200 ? true : undefined), 10_000, 'ready after the restart');

    // The empty Redis did not reset the budget.
    const left = limitNano - spent;
    expectBudgetRefusal(await chat(gateway.proxyUrl, budget.key, { max_tokens: maxTokensAbove(left) }));
    expect(await spentCounter(budget.keyId)).toBe(spent);
    expect((await chat(gateway.proxyUrl, budget.key, { max_tokens: maxTokensWithin(left) })).status).toBe(200);
    // And the worker settles again: the new request's cost reaches Postgres and the counter.
    await eventually(async () => ((await settledSpendNano(budget.keyId)) === spent + ACTUAL_NANO && (await spentCounter(budget.keyId)) === spent + ACTUAL_NANO ? true : undefined), 15_000, 'settled after the restart');
  });

  it('the admin API keeps answering while Redis is frozen: reads, and writes (committed; broadcast when Redis can be reached)', async () => {
    redis.pause();
    let started = Date.now();
    let created: { status: number; body: { keyId: string } };
    try {
      const list = await admin('GET', '/api/key-management/keys');
      expect(list.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1_500);
      started = Date.now();
      created = await admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: 'made during the freeze', key: 'tg-made-during-freeze', settingIds: [settingId] });
      expect(created.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      redis.resume();
    }
    expect((await pg.query('SELECT 1 FROM api_keys WHERE key_id = $1', [created.body.keyId])).rowCount).toBe(1);
    // The broadcast, held while Redis was frozen, goes out once it thaws: the new key works without waiting for a resync.
    await eventually(async () => ((await chat(gateway.proxyUrl, 'tg-made-during-freeze')).status === 200 ? true : undefined), 5_000, 'key made during the freeze usable');
  });

  it('a key revoked while Redis is frozen is refused at once by the replica that revoked it, not at its next resync', async () => {
    const leaked = await createKey({});
    redis.pause();
    try {
      const revoked = await admin('PATCH', `/api/key-management/keys/${leaked.keyId}`, { revoked: true, revokedReason: 'leaked' });
      expect(revoked.status).toBe(200);
      const refused = await eventually(async () => {
        const response = await chat(gateway.proxyUrl, leaked.key);
        return response.status === 401 ? response : undefined;
      }, 1_000, 'the revoked key refused while Redis is frozen');
      expect(refused.body.error).toMatchObject({ code: 'invalid_api_key' });
    } finally {
      redis.resume();
    }
  });

  it('the whole stack restarted on a Redis that came back empty says queued events were lost (it ran before: Postgres has events)', async () => {
    await eventually(async () => ((await pg.query('SELECT 1 FROM events LIMIT 1')).rowCount === 1 ? true : undefined), 10_000, 'an event recorded');
    await Promise.all([gateway.stop(), worker.stop()]);
    await redis.restart();
    expect(await redis.client().dbsize()).toBe(0);
    gateway = await spawnGateway(env);
    worker = await spawnWorker(env);
    admin = adminClient(gateway.adminUrl, adminKey, 5_000);
    // Exactly one of them finds the Redis without its marker, whichever checks first.
    const reported = () => [gateway.process, worker].filter((process) => process.lines.some((line) => line.includes('Redis lost its data') && line.includes('"seen":"at-start"')));
    await eventually(async () => (reported().length > 0 ? true : undefined), 10_000, 'the loss reported at start');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(reported()).toHaveLength(1);
  });
});
