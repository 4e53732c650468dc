import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@tollgate/database';
import { Client } from 'pg';
import { GuardedProcess } from './support/child-process';
import { FakeOpenAI } from './support/fake-openai';
import { ACTUAL_NANO, reservedNano } from './support/pricing';
import { chat, issueKey } from './support/proxy-client';
import { AdminCall, TEST_DATABASE_URL, TEST_REDIS_URL, adminClient, eventually } from './support/test-stack';
import { GatewayProcess, spawnGateway, spawnWorker } from './support/tollgate-process';

/**
 * A budget while the worker is down: the events wait in the queue, and what their requests
 * reserved must keep counting until the worker settles them, however long that takes. The
 * gateway's upstream timeout is 1 s here, so a reservation lasts 1.5 s until its event is queued.
 */
describe('budgets while the worker is down (e2e, gateway and worker processes)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let pg: Client;
  let upstream: FakeOpenAI;
  let gateway: GatewayProcess;
  let worker: GuardedProcess | null = null;
  let admin: AdminCall;
  let env: Parameters<typeof spawnGateway>[0];

  beforeAll(async () => {
    database = await createTestDatabase(TEST_DATABASE_URL);
    pg = new Client({ connectionString: database.url });
    await pg.connect();
    upstream = new FakeOpenAI();
    await upstream.start();
    env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      ADMIN_API_KEY: `admin-${randomBytes(16).toString('hex')}`,
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      QUEUE_PREFIX: `tgtest-${randomBytes(4).toString('hex')}`,
      UPSTREAM_TOTAL_TIMEOUT_MS: '1000',
    };
    gateway = await spawnGateway(env);
    admin = adminClient(gateway.adminUrl, env.ADMIN_API_KEY, 5_000);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await pg?.end();
    await database?.drop();
    await upstream?.stop();
  });

  it("keeps a queued request's reservation past its admission TTL, until the returning worker settles it", async () => {
    const setting = await admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
    // Room for one worst case while it is reserved, and for a second once the first costs only what it did.
    const maxTokens = 20;
    const limitNano = ACTUAL_NANO + reservedNano(maxTokens);
    expect(2 * reservedNano(maxTokens)).toBeGreaterThan(limitNano);
    const { key, keyId } = await issueKey(admin, [gateway.proxyUrl], 'outage', [setting.body.id], { costLimitInUsd: limitNano / 1e9 });

    expect((await chat(gateway.proxyUrl, key, { max_tokens: maxTokens })).status).toBe(200);
    // Past the 1.5 s admission TTL, with no worker to settle the queued event.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
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
    // Settled: the first request now counts what it cost, and the second fits.
    expect((await chat(gateway.proxyUrl, key, { max_tokens: maxTokens })).status).toBe(200);
  }, 30_000);
});
