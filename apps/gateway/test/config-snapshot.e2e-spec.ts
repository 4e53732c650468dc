import { ConfigSnapshotService } from '@tollgate/config-cache';
import { ApiKeyEntity, KeysService } from '@tollgate/keys';
import { FakeOpenAI } from './support/fake-openai';
import { RedisServer } from './support/redis-server';
import { chat, issueKey } from './support/proxy-client';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/**
 * The proxy's key snapshot against a full reload that is slow (a large table read page by page):
 * a revocation announced meanwhile applies at once, and the reload, which read the key before
 * it was revoked, does not bring it back when it installs its read.
 */
describe('config snapshot: announcements during a slow full reload (e2e)', () => {
  // Full reloads every 100 ms, so that one starts on its own while the test holds the read.
  const context = stackWithOneSetting({ CONFIG_FULL_RELOAD_INTERVAL_MS: '100' });
  let stack: TestStack;
  let settingId: string;
  beforeAll(() => ({ stack, settingId } = context));

  it('a revocation does not wait for the reload, and the reload does not undo it', async () => {
    const leaked = await issueKey(stack.admin, [stack.proxyUrl], 'snapshot', [settingId]);
    const keys = stack.gatewayApp.get(KeysService);
    const snapshot = stack.gatewayApp.get(ConfigSnapshotService);
    const readAllPages = keys.loadAll.bind(keys);
    let pageRead!: () => void;
    const firstPageRead = new Promise<void>((resolve) => (pageRead = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The next full reload reads its first page (the key, not yet revoked), then waits for the test.
    keys.loadAll = async function* holdAfterFirstPage(): AsyncGenerator<ApiKeyEntity[]> {
      for await (const page of readAllPages()) {
        yield page;
        pageRead();
        await held;
      }
    };
    try {
      await firstPageRead;
      const loadsBefore = snapshot.stats().lastFullLoadAt;
      const revoked = await stack.admin('PATCH', `/api/key-management/keys/${leaked.keyId}`, { revoked: true, revokedReason: 'leaked' });
      expect(revoked.status).toBe(200);
      // Applied while the reload still holds its read.
      await eventually(async () => ((await chat(stack.proxyUrl, leaked.key)).status === 401 ? true : undefined), 1_000, 'the revocation applied during the reload');
      expect(snapshot.stats().lastFullLoadAt).toBe(loadsBefore);
      release();
      await eventually(async () => (snapshot.stats().lastFullLoadAt !== loadsBefore ? true : undefined), 5_000, 'the held reload installed');
    } finally {
      keys.loadAll = readAllPages;
      release();
    }
    const refused = await chat(stack.proxyUrl, leaked.key);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: 'invalid_api_key' });
  });

  it('reads every key of a table larger than one page', async () => {
    const snapshot = stack.gatewayApp.get(ConfigSnapshotService);
    const before = snapshot.stats().keys;
    // 4,500 keys: three pages of 2,000 (the key hash only has to be unique here).
    await stack.sql(`INSERT INTO api_keys (name, key_hash) SELECT 'bulk ' || g, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, 4500) AS g`);
    await eventually(async () => (snapshot.stats().keys === before + 4_500 ? true : undefined), 5_000, 'every key in the snapshot');
    // The key read on the last page still authenticates (a key issued now sorts anywhere among them).
    const late = await issueKey(stack.admin, [stack.proxyUrl], 'snapshot', [settingId]);
    await eventually(async () => (snapshot.stats().keys === before + 4_501 ? true : undefined), 5_000, 'the new key counted');
    expect((await chat(stack.proxyUrl, late.key)).status).toBe(200);
  });
});

/**
 * The replica that made an admin write answers it only once it has applied the change itself, so
 * the writer's next request through it (a revocation, a narrowed allowedModels) already sees it.
 * The other replicas apply it when the announcement reaches them, within milliseconds.
 */
describe("config snapshot: the writing replica's own change (e2e)", () => {
  const context = stackWithOneSetting({});
  let stack: TestStack;
  let settingId: string;
  beforeAll(() => ({ stack, settingId } = context));

  it('an admin write answers after its replica applied it, however slow that read is', async () => {
    const key = await issueKey(stack.admin, [stack.proxyUrl], 'own-write', [settingId]);
    expect((await chat(stack.proxyUrl, key.key)).status).toBe(200);
    const keys = stack.gatewayApp.get(KeysService);
    const readKey = keys.getById.bind(keys);
    let readBegan!: () => void;
    const reading = new Promise<void>((resolve) => (readBegan = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The snapshot's read of the revoked key is slow (a loaded database): the test holds it.
    keys.getById = async (keyId: string) => {
      readBegan();
      const found = await readKey(keyId);
      await held;
      return found;
    };
    try {
      let answered = false;
      const revoke = stack.admin('PATCH', `/api/key-management/keys/${key.keyId}`, { revoked: true }).then((response) => {
        answered = true;
        return response;
      });
      await reading;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
      release();
      expect((await revoke).status).toBe(200);
    } finally {
      keys.getById = readKey;
      release();
    }
    expect((await chat(stack.proxyUrl, key.key)).status).toBe(401);
  });
});

/**
 * Changes no announcement tells of (a broadcast its writer could not send), made here straight in
 * the database: the read of what changed applies them within its interval (the resync interval,
 * here 300 ms), without reloading everything.
 */
describe('config snapshot: the read of what changed (e2e)', () => {
  const context = stackWithOneSetting({ CONFIG_RESYNC_INTERVAL_MS: '300', CONFIG_POLL_INTERVAL_MS: '100' });
  let stack: TestStack;
  let settingId: string;
  beforeAll(() => ({ stack, settingId } = context));

  it('a revocation never announced applies within the interval, with no full reload', async () => {
    const snapshot = stack.gatewayApp.get(ConfigSnapshotService);
    const key = await issueKey(stack.admin, [stack.proxyUrl], 'polled', [settingId]);
    const fullLoad = snapshot.stats().lastFullLoadAt;
    const revokedAt = Date.now();
    await stack.sql('UPDATE api_keys SET revoked = true, updated_at = now() WHERE key_id = $1', [key.keyId]);
    await eventually(async () => ((await chat(stack.proxyUrl, key.key)).status === 401 ? true : undefined), 2_000, 'the unannounced revocation applied');
    expect(Date.now() - revokedAt).toBeLessThan(1_500);
    expect(snapshot.stats().lastFullLoadAt).toBe(fullLoad);
  });

  it("a change whose updated_at is older than the newest one read (its transaction began first, committed last) is still seen", async () => {
    const key = await issueKey(stack.admin, [stack.proxyUrl], 'polled-late', [settingId]);
    // Another key changed since, so the newest updated_at read is now.
    await issueKey(stack.admin, [stack.proxyUrl], 'polled-newer', [settingId]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stack.sql("UPDATE api_keys SET revoked = true, updated_at = now() - interval '20 seconds' WHERE key_id = $1", [key.keyId]);
    await eventually(async () => ((await chat(stack.proxyUrl, key.key)).status === 401 ? true : undefined), 2_000, 'the late commit applied');
  });

  it('a user and a provider setting changed without an announcement are seen too', async () => {
    const key = await issueKey(stack.admin, [stack.proxyUrl], 'polled-setting', [settingId]);
    expect((await chat(stack.proxyUrl, key.key, { model: 'gpt-4o' })).status).toBe(200);
    await stack.sql(`UPDATE provider_settings SET allowed_models = ARRAY['gpt-4o-mini'], updated_at = now() WHERE id = $1`, [settingId]);
    await eventually(async () => ((await chat(stack.proxyUrl, key.key, { model: 'gpt-4o' })).status === 403 ? true : undefined), 2_000, 'the setting change applied');
    expect((await stack.admin('POST', '/api/users', { userId: 'polled-user', name: 'polled' })).status).toBe(200);
    expect((await chat(stack.proxyUrl, key.key, { model: 'gpt-4o-mini', user: 'polled-user' })).status).toBe(200);
    await stack.sql("UPDATE users SET revoked = true, updated_at = now() WHERE user_id = 'polled-user'");
    await eventually(async () => ((await chat(stack.proxyUrl, key.key, { model: 'gpt-4o-mini', user: 'polled-user' })).status === 200 ? undefined : true), 2_000, 'the user change applied');
  });
});

/**
 * A replica whose change bus cannot hear announcements (its Redis is gone) reads what changed
 * every poll: a revocation made meanwhile applies within about a second, not at the next resync.
 */
describe('config snapshot: polling while announcements cannot arrive (e2e)', () => {
  let redis: RedisServer;
  let stack: TestStack;
  let upstream: FakeOpenAI;

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    redis = await RedisServer.start();
    // The default resync interval (30 s): only the poll can apply the change in time.
    stack = await startTestStack({ REDIS_URL: redis.url, CONFIG_POLL_INTERVAL_MS: '200', LOG_LEVEL: 'error' });
  });

  afterAll(async () => {
    // Closing the stack needs Redis.
    await redis?.restart();
    await stack?.close();
    await redis?.kill();
    await upstream?.stop();
  });

  it('a revocation applies within about a second while Redis is down, with no full reload', async () => {
    const setting = (await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } })).body.id;
    const key = await issueKey(stack.admin, [stack.proxyUrl], 'partitioned', [setting]);
    const snapshot = stack.gatewayApp.get(ConfigSnapshotService);
    const fullLoad = snapshot.stats().lastFullLoadAt;
    await redis.stop();
    // Made straight in the database: with Redis down, no replica but the writer would hear it.
    await stack.sql('UPDATE api_keys SET revoked = true, updated_at = now() WHERE key_id = $1', [key.keyId]);
    const revokedAt = Date.now();
    await eventually(async () => ((await chat(stack.proxyUrl, key.key)).status === 401 ? true : undefined), 3_000, 'the revocation applied without Redis');
    expect(Date.now() - revokedAt).toBeLessThan(1_500);
    expect(snapshot.stats().lastFullLoadAt).toBe(fullLoad);
  });
});

/** A test stack started with `env`, and one OpenAI setting pointing at a fake upstream; filled in beforeAll. */
function stackWithOneSetting(env: Record<string, string>): { stack: TestStack; settingId: string } {
  const context = {} as { stack: TestStack; settingId: string };
  let upstream: FakeOpenAI | undefined;
  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    context.stack = await startTestStack(env);
    context.settingId = (await context.stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } })).body.id;
  });
  afterAll(async () => {
    await context.stack?.close();
    await upstream?.stop();
  });
  return context;
}
