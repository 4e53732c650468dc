import Redis from 'ioredis';
import { ConfigSnapshotService } from '@tollgate/config-cache';
import { LimitKeys } from '@tollgate/limits';
import { EventRecorderService } from '@tollgate/reporting';
import { FakeOpenAI } from './support/fake-openai';
import { ACTUAL_NANO, reservedNano } from './support/pricing';
import { requestEvent } from './support/request-event';
import { ProxyResponse, chat, countBy, issueKey, proxyRequest } from './support/proxy-client';
import { TestStack, eventually, startTestStack } from './support/test-stack';

interface UserBody {
  id: string;
  userId: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  tags: string[];
  keyIds: string[];
  revoked: boolean;
  revokedReason?: string;
  costLimitInUsd?: number;
  costLimitInUsdOverTime?: number;
  costLimitInUsdUnit?: string;
  rateLimitOverTime?: number;
  rateLimitUnit?: string;
  ttl?: string;
  expiresAt?: number;
  allowedPaths: Array<{ path: string; method: string }>;
  allowedModels: string[];
}

/**
 * Users (BricksLLM's /api/users contract) and what they mean on the proxy: a request names its
 * user with the OpenAI `user` field or x-user-id, must pass the key's and the user's limits,
 * and its event records the user id.
 */
describe('users (e2e)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  let redis: Redis;
  let settingId: string;

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    stack = await startTestStack({ ADMIN_RATE_LIMIT_PER_MINUTE: '100000', LOG_LEVEL: 'info' });
    redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
    settingId = (await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } })).body.id;
  });

  afterAll(async () => {
    redis?.disconnect();
    await stack?.close();
    await upstream?.stop();
  });

  const createKey = (fields: Record<string, unknown> = {}) => issueKey(stack.admin, [stack.proxyUrl], 'users', [settingId], fields);

  /** Creates a user and waits until the proxy's snapshot has it (announced over pub/sub, read from Postgres). */
  const createUser = async (fields: Record<string, unknown>) => {
    const response = await stack.admin<UserBody>('POST', '/api/users', fields);
    expect(response.status).toBe(200);
    const snapshot = stack.gatewayApp.get(ConfigSnapshotService);
    const { userId } = response.body;
    await eventually(async () => (snapshot.getUser(userId) ? true : undefined), 5_000, `user ${userId} in the proxy's snapshot`);
    return response.body;
  };

  const eventOf = (response: ProxyResponse) =>
    eventually(async () => {
      const [row] = await stack.sql<{ user_id: string | null; status: number; custom_id: string | null }>('SELECT user_id, status, custom_id FROM events WHERE id = $1', [response.headers['x-request-id']]);
      return row;
    }, 10_000, `event ${response.headers['x-request-id']}`);

  describe('admin API', () => {
    it('POST /api/users creates a user with its limits, in the documented shape', async () => {
      const before = Math.floor(Date.now() / 1000);
      const user = await createUser({
        name: 'spike',
        userId: 'student-42',
        tags: ['class-a'],
        costLimitInUsd: 5.5,
        costLimitInUsdOverTime: 2,
        costLimitInUsdUnit: 'd',
        rateLimitOverTime: 2,
        rateLimitUnit: 'm',
        ttl: '2d',
        allowedPaths: [{ path: '/v1/chat/completions', method: 'POST' }],
        allowedModels: ['gpt-4o-mini'],
      });
      expect(user).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        userId: 'student-42',
        name: 'spike',
        createdAt: expect.any(Number),
        updatedAt: expect.any(Number),
        tags: ['class-a'],
        keyIds: [],
        revoked: false,
        revokedReason: '',
        costLimitInUsd: 5.5,
        costLimitInUsdOverTime: 2,
        costLimitInUsdUnit: 'd',
        rateLimitOverTime: 2,
        rateLimitUnit: 'm',
        ttl: '2d',
        expiresAt: expect.any(Number),
        allowedPaths: [{ path: '/v1/chat/completions', method: 'POST' }],
        allowedModels: ['gpt-4o-mini'],
      });
      expect(user.createdAt).toBeGreaterThanOrEqual(before);
      expect(user.expiresAt! - user.createdAt).toBeGreaterThanOrEqual(2 * 86_400 - 1);
      expect(user.expiresAt! - user.createdAt).toBeLessThanOrEqual(2 * 86_400 + 1);

      const generated = await createUser({ name: 'no id given' });
      expect(generated.userId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('refuses a duplicate userId (409) and invalid limits (400), in the admin error shape', async () => {
      await createUser({ name: 'first', userId: 'duplicate-user' });
      const duplicate = await stack.admin('POST', '/api/users', { name: 'second', userId: 'duplicate-user' });
      expect(duplicate).toEqual({ status: 409, body: { status: 409, title: 'conflict', type: '/errors/conflict', detail: expect.stringContaining('duplicate-user'), instance: '/api/users' } });
      for (const invalid of [{ name: 'x', rateLimitOverTime: 2 }, { name: 'x', costLimitInUsdUnit: 'y' }, { name: 'x', ttl: 'forever' }, { name: 'x', keyIds: ['not-a-uuid'] }, { userId: 'no-name' }]) {
        const response = await stack.admin<{ status: number; type: string }>('POST', '/api/users', invalid);
        expect([invalid, response.status, response.body.type]).toEqual([invalid, 400, '/errors/invalid-request-error']);
      }
    });

    it('GET /api/users filters by userIds, tags and keyIds, and pages with offset and limit', async () => {
      const { keyId } = await createKey();
      const created = [
        await createUser({ name: 'list 1', userId: 'list-1', tags: ['list-test', 'odd'] }),
        await createUser({ name: 'list 2', userId: 'list-2', tags: ['list-test', 'even'], keyIds: [keyId] }),
        await createUser({ name: 'list 3', userId: 'list-3', tags: ['list-test', 'odd'] }),
      ];
      const list = async (query: string) => {
        const response = await stack.admin<UserBody[]>('GET', `/api/users?${query}`);
        expect(response.status).toBe(200);
        return response.body.map((user) => user.userId);
      };
      expect(await list('tags=list-test')).toEqual(['list-1', 'list-2', 'list-3']);
      expect(await list('tags=odd')).toEqual(['list-1', 'list-3']);
      expect(await list('tags=even&tags=odd')).toEqual(['list-1', 'list-2', 'list-3']);
      expect(await list('userIds=list-3&userIds=list-1')).toEqual(['list-1', 'list-3']);
      // A user id may hold a comma: one parameter is one id.
      expect(await list('userIds=list-2,list-3')).toEqual([]);
      expect(await list(`keyIds=${keyId}`)).toEqual(['list-2']);
      expect(await list('tags=list-test&offset=1&limit=1')).toEqual(['list-2']);
      expect(await list('tags=list-test&offset=2&limit=5')).toEqual(['list-3']);
      expect(await list('userIds=nobody')).toEqual([]);
      const full = await stack.admin<UserBody[]>('GET', '/api/users?userIds=list-2');
      expect(full.body).toEqual([{ ...created[1], keyIds: [keyId] }]);
      // 0 is "not given", as BricksLLM's Go clients send it; a negative page is no page.
      expect((await stack.admin('GET', '/api/users?limit=0')).status).toBe(200);
      for (const query of ['limit=-1', 'offset=-1', 'limit=x']) expect([query, (await stack.admin('GET', `/api/users?${query}`)).status]).toEqual([query, 400]);
      // A misspelt or repeated filter is refused, not read as "every user".
      for (const query of ['userid=list-2', 'tag=a', 'limit=1&limit=2']) {
        const response = await stack.admin<{ status: number }>('GET', `/api/users?${query}`);
        expect([query, response.status]).toEqual([query, 400]);
      }
      expect((await stack.admin('PATCH', '/api/users?userid=list-2', { name: 'x' })).status).toBe(400);
      expect((await stack.admin('GET', '/api/provider-settings?id=x')).status).toBe(400);
      // Past what JavaScript holds exactly (and Postgres's bigint): the client's error, not a 500.
      for (const query of ['offset=100000000000000000000', 'limit=100000000000000000000', 'offset=9223372036854775807']) {
        expect([query, (await stack.admin('GET', `/api/users?${query}`)).status]).toEqual([query, 400]);
      }
    });

    it('refuses keyIds naming a key that does not exist (a typo would lock the user out), on create and on both updates', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      const refusedCreate = await stack.admin<{ detail: string }>('POST', '/api/users', { name: 'typo', userId: 'key-typo', keyIds: [missing] });
      expect([refusedCreate.status, refusedCreate.body.detail]).toEqual([400, expect.stringContaining('keyIds')]);
      const { keyId } = await createKey();
      const user = await createUser({ name: 'typo', userId: 'key-typo', tags: ['key-typo'], keyIds: [keyId, keyId.toUpperCase()] });
      expect((await stack.admin('PATCH', `/api/users/${user.id}`, { keyIds: [keyId, missing] })).status).toBe(400);
      expect((await stack.admin('PATCH', '/api/users?tags=key-typo', { keyIds: [missing] })).status).toBe(400);
      expect((await stack.admin<UserBody[]>('GET', '/api/users?userIds=key-typo')).body[0]).toMatchObject({ keyIds: [keyId, keyId] });
      expect(keyId).toBe(keyId.toLowerCase());
    });

    it('refuses allowedModels holding an empty or blank name, or one with spaces around it (it would match no model)', async () => {
      for (const allowedModels of [[''], ['  '], ['gpt-4o-mini', '\t'], [' gpt-4o-mini'], ['gpt-4o-mini\n']]) {
        const refused = await stack.admin<{ detail: string }>('POST', '/api/users', { name: 'blank models', allowedModels });
        expect([allowedModels, refused.status, refused.body.detail]).toEqual([allowedModels, 400, expect.stringContaining('allowedModels')]);
      }
    });

    it('refuses a userId that requests could never name (surrounding white space, control characters)', async () => {
      for (const userId of ['padded-user ', ' padded-user', 'tab\tuser', 'line\nbreak']) {
        const response = await stack.admin<{ status: number; detail: string }>('POST', '/api/users', { name: 'x', userId });
        expect([userId, response.status]).toEqual([userId, 400]);
        expect(response.body.detail).toContain('userId');
      }
      expect((await stack.admin('POST', '/api/users', { name: 'x', userId: 'inner space ok' })).status).toBe(200);
    });

    it('refuses NUL characters anywhere in a body, query or path with a 400 (Postgres cannot store them)', async () => {
      const cases: Array<[string, string, unknown?]> = [
        ['POST', '/api/users', { name: 'x', userId: 'a\u0000b' }],
        ['POST', '/api/users', { name: 'x\u0000' }],
        ['POST', '/api/users', { name: 'x', tags: ['ok', 'a\u0000b'] }],
        ['POST', '/api/users', { name: 'x', allowedModels: ['gpt\u0000'] }],
        ['GET', '/api/users?userIds=a%00b'],
        ['GET', '/api/users?tags=a%00b'],
        ['PATCH', '/api/users?userId=a%00b', { name: 'y' }],
        ['GET', '/api/events?customId=a%00b'],
        ['PUT', '/api/key-management/keys', { name: 'k', key: 'tg-nul\u0000key', settingIds: [settingId] }],
      ];
      for (const [method, path, body] of cases) {
        const response = await stack.admin<{ status: number; type: string; detail: string }>(method, path, body);
        expect([method, path, response.status, response.body.type]).toEqual([method, path, 400, '/errors/invalid-request-error']);
        expect(response.body.detail).toContain('NUL');
      }
    });

    it('refuses text that would be stored changed (lone UTF-16 surrogates) and fields named like built-in object methods', async () => {
      const key = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: 'k', key: 'tg-storable-input-key', settingIds: [settingId] });
      expect(key.status).toBe(200);
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', '/api/users', { name: 'x', userId: '\ud800' }, 'userId must be valid Unicode'],
        ['POST', '/api/users', { name: 'x', tags: ['ok', 'a\udc00b'] }, 'tags[1] must be valid Unicode'],
        ['PUT', '/api/key-management/keys', { name: 'k\udbff', key: 'tg-surrogate-key', settingIds: [settingId] }, 'name must be valid Unicode'],
        // class-validator's whitelist took these for declared fields.
        ['PUT', '/api/key-management/keys', { name: 'k', key: 'tg-tostring-key', settingIds: [settingId], toString: 5 }, 'toString is not a known field'],
        ['PATCH', `/api/key-management/keys/${key.body.keyId}`, { hasOwnProperty: {} }, 'hasOwnProperty is not a known field'],
        ['POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-x', toString: 'x' } }, 'setting.toString is not a known field'],
        ['GET', '/api/key-management/keys?constructor=x', undefined, 'constructor is not a known field'],
        ['GET', '/api/users?valueOf=1', undefined, 'valueOf is not a known field'],
      ];
      for (const [method, path, body, detail] of cases) {
        const response = await stack.admin<{ status: number; type: string; detail: string }>(method, path, body);
        expect([method, path, response.status, response.body.detail]).toEqual([method, path, 400, expect.stringContaining(detail)]);
      }
      // A surrogate pair (an emoji) is valid Unicode and kept as sent.
      const emoji = await stack.admin<{ name: string }>('PUT', '/api/key-management/keys', { name: 'k \ud83d\ude80', key: 'tg-emoji-name-key', settingIds: [settingId] });
      expect([emoji.status, emoji.body.name]).toEqual([200, 'k 🚀']);
    });

    it('PATCH /api/users/:id updates a user; unknown or malformed ids are 404 / 400', async () => {
      const user = await createUser({ name: 'patch me', userId: 'patch-by-id', rateLimitOverTime: 5, rateLimitUnit: 'h' });
      const patched = await stack.admin<UserBody>('PATCH', `/api/users/${user.id}`, {
        name: 'patched',
        costLimitInUsd: 1.25,
        revoked: true,
        revokedReason: 'expired',
        allowedModels: ['gpt-4o'],
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id: user.id, userId: 'patch-by-id', name: 'patched', costLimitInUsd: 1.25, revoked: true, revokedReason: 'expired', allowedModels: ['gpt-4o'], rateLimitOverTime: 5, rateLimitUnit: 'h' });
      expect((await stack.admin<UserBody[]>('GET', '/api/users?userIds=patch-by-id')).body[0]).toEqual(patched.body);
      expect((await stack.admin('PATCH', '/api/users/3f1e0c2a-1111-4222-8333-444455556666', { name: 'x' })).status).toBe(404);
      expect((await stack.admin('PATCH', '/api/users/not-a-uuid', { name: 'x' })).status).toBe(400);
      expect((await stack.admin('PATCH', `/api/users/${user.id}`, { rateLimitUnit: null })).status).toBe(400);
      // "" is "not given" (a Go client's unset field): the name and the reason stay; 0 removes a limit.
      const zeros = await stack.admin<UserBody>('PATCH', `/api/users/${user.id}`, { name: '', revokedReason: '', costLimitInUsd: 0 });
      expect(zeros.status).toBe(200);
      expect(zeros.body).toMatchObject({ name: 'patched', revokedReason: 'expired' });
      expect(zeros.body.costLimitInUsd).toBe(0);
      // Restored without a reason, the old one goes with the revocation (as for keys).
      const restored = await stack.admin<UserBody>('PATCH', `/api/users/${user.id}`, { revoked: false });
      expect(restored.body).toMatchObject({ revoked: false, revokedReason: '' });
      expect((await stack.admin<UserBody>('PATCH', `/api/users/${user.id}`, { revoked: true })).body).toMatchObject({ revoked: true, revokedReason: '' });
      // A userId left "" is generated, as when it is left out.
      const generated = await stack.admin<UserBody>('POST', '/api/users', { name: 'no id', userId: '' });
      expect(generated.status).toBe(200);
      expect(generated.body.userId).toMatch(/\S/);
    });

    it('PATCH /api/users?userId=&tags= updates every matching user and answers with one user object, as the reference does', async () => {
      await createUser({ name: 'bulk 1', userId: 'bulk-1', tags: ['bulk'] });
      await createUser({ name: 'bulk 2', userId: 'bulk-2', tags: ['bulk'] });
      await createUser({ name: 'bulk 3', userId: 'bulk-3', tags: ['other'] });

      const byTags = await stack.admin<UserBody>('PATCH', '/api/users?tags=bulk', { costLimitInUsd: 3 });
      expect(byTags.status).toBe(200);
      // The first created of the users it updated.
      expect([byTags.body.userId, byTags.body.costLimitInUsd]).toEqual(['bulk-1', 3]);
      const listed = await stack.admin<UserBody[]>('GET', '/api/users?userIds=bulk-1&userIds=bulk-2&userIds=bulk-3');
      expect(listed.body.map((u) => [u.userId, u.costLimitInUsd]).sort()).toEqual([['bulk-1', 3], ['bulk-2', 3], ['bulk-3', 0]]);

      const byId = await stack.admin<UserBody>('PATCH', '/api/users?userId=bulk-3', { name: 'renamed' });
      expect([byId.body.userId, byId.body.name]).toEqual(['bulk-3', 'renamed']);
      const both = await stack.admin<UserBody>('PATCH', '/api/users?userId=bulk-2&tags=bulk', { name: 'only one' });
      expect([both.body.userId, both.body.name]).toEqual(['bulk-2', 'only one']);
      expect((await stack.admin<UserBody[]>('GET', '/api/users?userIds=bulk-1')).body[0].name).toBe('bulk 1');

      expect((await stack.admin('PATCH', '/api/users', { name: 'everyone?' })).status).toBe(400);
      expect((await stack.admin('PATCH', '/api/users?userId=nobody-at-all', { name: 'x' })).status).toBe(404);
    });

    it('a tag that holds a comma is one tag in a query, as the reference reads it: a filtered PATCH never reaches the users of its halves', async () => {
      await createUser({ name: 'comma target', userId: 'comma-target', tags: ['acme,eu'] });
      await createUser({ name: 'comma bystander', userId: 'comma-bystander', tags: ['acme'] });
      const patched = await stack.admin<UserBody>('PATCH', `/api/users?tags=${encodeURIComponent('acme,eu')}`, { revoked: true });
      expect([patched.status, patched.body.userId]).toEqual([200, 'comma-target']);
      const listed = await stack.admin<UserBody[]>('GET', '/api/users?userIds=comma-target&userIds=comma-bystander');
      expect(listed.body.map((u) => [u.userId, u.revoked]).sort()).toEqual([['comma-bystander', false], ['comma-target', true]]);
      expect((await stack.admin<UserBody[]>('GET', '/api/users?tags=acme&tags=acme%2Ceu')).body.map((u) => u.userId).sort()).toEqual(['comma-bystander', 'comma-target']);
    });

    it("an update by filter and the worker adding users' spend lock users in one order: neither fails on a deadlock", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push((await createUser({ name: `order ${i}`, userId: `order-${i}`, tags: ['order'] })).userId);
      // Rows rewritten in another order than created: the table's order is no longer the creation order.
      await stack.sql("UPDATE users SET name = name || '.' WHERE user_id = ANY($1::text[]) AND (substring(user_id from 7))::int % 2 = 0", [ids]);
      const recorder = stack.workerApp.get(EventRecorderService);
      const eventsOf = (round: number) =>
        [...ids].reverse().map((userId, i) => requestEvent({ latencyMs: 1, customId: `order-${round}-${i}`, userId, usage: { promptTokens: 1000, completionTokens: 10 } }));
      for (let round = 0; round < 15; round++) {
        const results = await Promise.allSettled([
          stack.admin('PATCH', '/api/users?tags=order', { costLimitInUsd: round + 1 }),
          recorder.price(eventsOf(round)).then((rows) => recorder.persist(rows)),
          stack.admin('PATCH', '/api/users?tags=order', { name: `renamed ${round}` }),
          recorder.price(eventsOf(round + 100)).then((rows) => recorder.persist(rows)),
        ]);
        expect(results.map((result) => (result.status === 'rejected' ? String(result.reason) : 'status' in result.value ? result.value.status : 'persisted'))).toEqual([200, 'persisted', 200, 'persisted']);
      }
    });

    it('a revocation is not undone by a concurrent update of the users a filter matches', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push((await createUser({ name: `race ${i}`, userId: `race-${i}`, tags: ['race'] })).id);
      for (let round = 0; round < 5; round++) {
        const patches = [
          ...ids.map((id) => stack.admin('PATCH', `/api/users/${id}`, { revoked: true, revokedReason: `stop ${round}` })),
          stack.admin('PATCH', '/api/users?tags=race', { costLimitInUsd: round + 1 }),
        ];
        expect((await Promise.all(patches)).map((response) => response.status)).toEqual(patches.map(() => 200));
        const rows = await stack.sql<{ revoked: boolean; cost_limit_in_usd: string }>('SELECT revoked, cost_limit_in_usd FROM users WHERE id = ANY($1::uuid[])', [ids]);
        expect(rows.map((row) => [row.revoked, Number(row.cost_limit_in_usd)])).toEqual(ids.map(() => [true, round + 1]));
        // Restored for the next round, one by one.
        await Promise.all(ids.map((id) => stack.admin('PATCH', `/api/users/${id}`, { revoked: false })));
      }
    });
  });

  describe('requests attributed to a user', () => {
    it("a user's rate limit holds under concurrency on an unlimited key, whether the user comes as `user` or x-user-id; events record the user", async () => {
      await createUser({ name: 'rate', userId: 'rate-limited-user', rateLimitOverTime: 2, rateLimitUnit: 'h' });
      const { key } = await createKey();
      const responses = await Promise.all([
        chat(stack.proxyUrl, key, { user: 'rate-limited-user' }),
        chat(stack.proxyUrl, key, {}, { 'x-user-id': 'rate-limited-user' }),
        chat(stack.proxyUrl, key, { user: 'rate-limited-user' }),
        chat(stack.proxyUrl, key, {}, { 'x-user-id': 'rate-limited-user' }),
      ]);
      expect(countBy(responses, (r) => r.status)).toEqual({ 200: 2, 429: 2 });
      for (const refused of responses.filter((r) => r.status === 429)) {
        expect(refused.body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests', message: expect.stringContaining('user') });
        expect(refused.headers['x-ratelimit-limit-requests']).toBe('2');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      }
      for (const response of responses) expect((await eventOf(response)).user_id).toBe('rate-limited-user');
      // The key itself is unlimited: requests without that user still pass.
      expect((await chat(stack.proxyUrl, key)).status).toBe(200);
      expect((await chat(stack.proxyUrl, key, { user: 'someone-else' })).status).toBe(200);
    });

    it("must pass both the key's and the user's limits, and a refusal by one consumes nothing of the other", async () => {
      await createUser({ name: 'one a day', userId: 'one-request-user', rateLimitOverTime: 1, rateLimitUnit: 'd' });
      const { key } = await createKey({ rateLimitOverTime: 3, rateLimitUnit: 'h' });
      expect((await chat(stack.proxyUrl, key, { user: 'one-request-user' })).status).toBe(200);
      const byUser = await chat(stack.proxyUrl, key, { user: 'one-request-user' });
      expect(byUser.status).toBe(429);
      expect(byUser.body.error.message).toContain('Rate limit reached for this user: 1 request per day.');
      // The user's refusal took no slot of the key: two more requests fit its 3 per hour.
      expect((await chat(stack.proxyUrl, key)).status).toBe(200);
      expect((await chat(stack.proxyUrl, key)).status).toBe(200);
      const byKey = await chat(stack.proxyUrl, key);
      expect(byKey.status).toBe(429);
      expect(byKey.body.error.message).toContain('key');
    });

    it("a user's budget holds across keys and is settled by the worker", async () => {
      const limitNano = 10_000;
      await createUser({ name: 'budget', userId: 'budget-user', costLimitInUsd: limitNano / 1e9 });
      const [first, second] = [await createKey(), await createKey()];
      // Two requests' worst cases do not fit together: exactly one of five concurrent ones passes.
      expect(2 * reservedNano(5)).toBeGreaterThan(limitNano);
      const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => chat(stack.proxyUrl, [first, second][i % 2].key, { max_tokens: 5, user: 'budget-user' })));
      expect(countBy(responses, (r) => r.status)).toEqual({ 200: 1, 429: 4 });
      for (const refused of responses.filter((r) => r.status === 429)) {
        expect(refused.headers['x-should-retry']).toBe('false');
        expect(refused.body.error).toMatchObject({ type: 'insufficient_quota', code: 'cost_limit_exceeded', message: expect.stringContaining("user's total cost limit") });
      }
      // Once settled, the user's spend is the actual cost, and what is left is less than a request's worst case.
      await eventually(async () => {
        const spent = Number((await redis.get(`${stack.queuePrefix}:limits:spent:user:budget-user:total`)) ?? 0);
        const reserved = await redis.zcard(new LimitKeys(stack.queuePrefix).reservations('user', 'budget-user').setKey);
        return spent === ACTUAL_NANO && reserved === 0 ? true : undefined;
      }, 10_000, "the user's spend settled");
      expect(limitNano - ACTUAL_NANO).toBeLessThan(reservedNano(5));
      expect((await chat(stack.proxyUrl, second.key, { max_tokens: 5, user: 'budget-user' })).status).toBe(429);
      // ...while a smaller request still fits.
      expect(reservedNano(1)).toBeLessThanOrEqual(limitNano - ACTUAL_NANO);
      expect((await chat(stack.proxyUrl, first.key, { max_tokens: 1, user: 'budget-user' })).status).toBe(200);
    });

    it('keeps no limit counters for user ids that name no registered user (clients choose them freely)', async () => {
      const { key, keyId } = await createKey({ costLimitInUsd: 1 });
      const responses = await Promise.all(['ghost-1', 'ghost-2', 'ghost-3'].map((user) => chat(stack.proxyUrl, key, { max_tokens: 5, user })));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
      for (const response of responses) expect((await eventOf(response)).user_id).toMatch(/^ghost-/);
      // Settled (the key's counter has all three), yet nothing was kept for the made-up users.
      await eventually(async () => (Number(await redis.get(`${stack.queuePrefix}:limits:spent:key:${keyId}:total`)) === 3 * ACTUAL_NANO ? true : undefined), 10_000, 'key spend settled');
      expect(await redis.keys(`${stack.queuePrefix}:limits:*ghost-*`)).toEqual([]);
    });

    it("a user's spend counts its requests since it was registered, even when one made before is recorded after", async () => {
      const { key } = await createKey();
      const queue = stack.eventsQueue();
      await queue.pause();
      let before: ProxyResponse;
      let after: ProxyResponse;
      try {
        before = await chat(stack.proxyUrl, key, { user: 'registered-late' });
        expect(before.status).toBe(200);
        await eventually(() => queue.getJob(before.headers['x-request-id'] as string), 5_000, 'the first event enqueued');
        await createUser({ name: 'late', userId: 'registered-late', costLimitInUsd: 1 });
        after = await chat(stack.proxyUrl, key, { user: 'registered-late' });
        expect(after.status).toBe(200);
      } finally {
        await queue.resume();
      }
      await eventOf(before);
      await eventOf(after);
      // Postgres and the Redis budget counter agree, and with the rebuild from events: only the later request.
      await eventually(async () => {
        const [row] = await stack.sql<{ spent_usd: string }>("SELECT spent_usd FROM users WHERE user_id = 'registered-late'");
        const counter = Number((await redis.get(`${stack.queuePrefix}:limits:spent:user:registered-late:total`)) ?? 0);
        return Math.round(Number(row.spent_usd) * 1e9) === ACTUAL_NANO && counter === ACTUAL_NANO ? true : undefined;
      }, 10_000, "the user's spend: one request");
    });

    it('a revoked user is refused with 403 and the reason; restoring it lets it through again', async () => {
      const user = await createUser({ name: 'revocable', userId: 'revocable-user' });
      const { key } = await createKey();
      expect((await chat(stack.proxyUrl, key, { user: 'revocable-user' })).status).toBe(200);
      await stack.admin('PATCH', `/api/users/${user.id}`, { revoked: true, revokedReason: 'graduated' });
      const refused = await eventually(async () => {
        const response = await chat(stack.proxyUrl, key, {}, { 'x-user-id': 'revocable-user' });
        return response.status === 403 ? response : undefined;
      }, 1_000, 'user revocation');
      expect(refused.body).toEqual({ error: { message: expect.stringContaining('graduated'), type: 'permission_error', param: null, code: 'user_blocked' } });
      expect((await eventOf(refused)).user_id).toBe('revocable-user');
      await stack.admin('PATCH', `/api/users/${user.id}`, { revoked: false });
      await eventually(async () => ((await chat(stack.proxyUrl, key, { user: 'revocable-user' })).status === 200 ? true : undefined), 1_000, 'user restored');
    });

    it("a user's keyIds, allowedPaths and ttl are enforced", async () => {
      const [allowed, other] = [await createKey(), await createKey()];
      await createUser({ name: 'bound', userId: 'key-bound-user', keyIds: [allowed.keyId], allowedPaths: [{ path: '/v1/chat/completions', method: 'POST' }] });
      await createUser({ name: 'brief', userId: 'short-lived-user', ttl: '1s' });
      expect((await chat(stack.proxyUrl, allowed.key, { user: 'key-bound-user' })).status).toBe(200);
      const wrongKey = await chat(stack.proxyUrl, other.key, { user: 'key-bound-user' });
      expect(wrongKey.status).toBe(403);
      expect(wrongKey.body.error.code).toBe('user_blocked');
      const wrongPath = await proxyRequest(stack.proxyUrl, 'POST', '/v1/embeddings', allowed.key, { model: 'text-embedding-3-small', input: 'a' }, { 'x-user-id': 'key-bound-user' });
      expect(wrongPath.status).toBe(403);
      expect(wrongPath.body.error.code).toBe('path_not_allowed');

      const expired = await eventually(async () => {
        const response = await chat(stack.proxyUrl, allowed.key, { user: 'short-lived-user' });
        return response.status === 403 ? response : undefined;
      }, 3_000, 'user expiry');
      expect(expired.body.error).toMatchObject({ code: 'user_blocked', message: expect.stringContaining('expired') });
    });
  });

  describe('reporting', () => {
    it('GET /api/reporting/user-ids (and users-ids) and /api/reporting/custom-ids list what a key has seen', async () => {
      const { key, keyId } = await createKey();
      const sent = await Promise.all([
        chat(stack.proxyUrl, key, { user: 'report-b' }, { 'x-custom-event-id': 'custom-2' }),
        chat(stack.proxyUrl, key, {}, { 'x-user-id': 'report-a', 'x-custom-event-id': 'custom-1' }),
        chat(stack.proxyUrl, key, { user: 'report-b' }, { 'x-custom-event-id': 'custom-1' }),
        chat(stack.proxyUrl, key),
      ]);
      for (const response of sent) await eventOf(response);
      for (const path of ['user-ids', 'users-ids']) {
        expect(await stack.admin('GET', `/api/reporting/${path}?keyId=${keyId}`)).toEqual({ status: 200, body: ['report-a', 'report-b'] });
      }
      expect(await stack.admin('GET', `/api/reporting/custom-ids?keyId=${keyId}`)).toEqual({ status: 200, body: ['custom-1', 'custom-2'] });
      // Another key's ids are not mixed in.
      const { keyId: silent } = await createKey();
      expect((await stack.admin('GET', `/api/reporting/user-ids?keyId=${silent}`)).body).toEqual([]);
      const missing = await stack.admin<{ status: number; instance: string }>('GET', '/api/reporting/custom-ids');
      expect(missing.status).toBe(400);
      expect(missing.body.instance).toBe('/api/reporting/custom-ids');
    });
  });
});
