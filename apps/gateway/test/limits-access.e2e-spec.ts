import { GatewayProcess, spawnGateway } from './support/tollgate-process';
import { FakeOpenAI } from './support/fake-openai';
import { ProxyResponse, chat, countBy, issueKey, proxyRequest } from './support/proxy-client';
import { TestStack, startTestStack } from './support/test-stack';

/**
 * Who may call what: allowedPaths (path + method, normalized), allowedModels on provider
 * settings and users, credential rotation, and the admin API's own throttling. Every refusal
 * happens before any upstream call.
 */
describe('access scopes (e2e)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  const settings: Record<'open' | 'restricted' | 'rotationA' | 'rotationB', string> = { open: '', restricted: '', rotationA: '', rotationB: '' };

  beforeAll(async () => {
    upstream = new FakeOpenAI({ apiKeys: ['sk-upstream-secret', 'sk-rotation-a', 'sk-rotation-b'] });
    await upstream.start();
    stack = await startTestStack({ ADMIN_RATE_LIMIT_PER_MINUTE: '100000', LOG_LEVEL: 'info' });
    const create = async (apiKey: string, extra: Record<string, unknown> = {}) =>
      (await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey, url: upstream.baseUrl }, ...extra })).body.id;
    settings.open = await create('sk-upstream-secret');
    settings.restricted = await create('sk-upstream-secret', { allowedModels: ['gpt-4o-mini'] });
    settings.rotationA = await create('sk-rotation-a');
    settings.rotationB = await create('sk-rotation-b');
  });

  afterAll(async () => {
    await stack?.close();
    await upstream?.stop();
  });

  const createKey = async (fields: Record<string, unknown>) => (await issueKey(stack.admin, [stack.proxyUrl], 'access', [settings.open], fields)).key;

  const expectForbidden = (response: ProxyResponse, code: 'path_not_allowed' | 'model_not_allowed', mentions: string) => {
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      error: { message: expect.stringContaining(mentions), type: 'permission_error', param: code === 'model_not_allowed' ? 'model' : null, code },
    });
  };

  const upstreamUntouched = async (action: () => Promise<void>) => {
    const before = upstream.requests.length;
    await action();
    expect(upstream.requests.length).toBe(before);
  };

  describe('allowedPaths', () => {
    it('a key limited to POST /v1/chat/completions gets 403 path_not_allowed everywhere else, before any upstream call', async () => {
      const key = await createKey({ allowedPaths: [{ path: '/v1/chat/completions', method: 'POST' }] });
      await upstreamUntouched(async () => {
        expectForbidden(await proxyRequest(stack.proxyUrl, 'POST', '/v1/embeddings', key, { model: 'text-embedding-3-small', input: 'a' }), 'path_not_allowed', '/v1/embeddings');
        expectForbidden(await proxyRequest(stack.proxyUrl, 'GET', '/v1/models', key), 'path_not_allowed', 'GET /v1/models');
        // The same operation on another path is another path.
        expectForbidden(await chat(`${stack.proxyUrl}/api/providers/openai`, key), 'path_not_allowed', '/api/providers/openai/v1/chat/completions');
      });
      expect((await chat(stack.proxyUrl, key)).status).toBe(200);
      // The query string is not part of the path.
      expect((await proxyRequest(stack.proxyUrl, 'POST', '/v1/chat/completions?trace=1', key, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })).status).toBe(200);
    });

    it('checks the method too', async () => {
      const key = await createKey({ allowedPaths: [{ path: '/v1/models', method: 'GET' }] });
      expect((await proxyRequest(stack.proxyUrl, 'GET', '/v1/models', key)).status).toBe(200);
      await upstreamUntouched(async () => expectForbidden(await chat(stack.proxyUrl, key), 'path_not_allowed', 'POST /v1/chat/completions'));
    });

    it('odd spellings of the allowed path (double slash, case, trailing slash, encoded slash) are not served, so nothing slips through', async () => {
      // Fastify matches routes exactly, and the /v1 relay of OpenAI's other operations serves no
      // empty segment and no encoded slash: none of these reaches the upstream (normalizePath's
      // own spec covers the normalization of such request paths).
      const key = await createKey({ allowedPaths: [{ path: '/v1/chat/completions', method: 'POST' }] });
      await upstreamUntouched(async () => {
        for (const [path, status, code] of [
          ['/v1//chat/completions', 404, 'not_found'],
          ['/V1/chat/completions/', 404, 'not_found'],
          ['/v1/chat/completions/', 404, 'not_found'],
          ['/v1/chat%2Fcompletions', 400, 'invalid_request_error'],
        ] as const) {
          const response = await proxyRequest(stack.proxyUrl, 'POST', path, key, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
          expect([path, response.status, response.body.error?.code]).toEqual([path, status, code]);
        }
      });
    });

    it('normalizes the allowed path as the admin wrote it (double slashes, case, encoded slash, trailing slash)', async () => {
      const key = await createKey({ allowedPaths: [{ path: '/V1//Chat%2Fcompletions/', method: 'POST' }] });
      expect((await chat(stack.proxyUrl, key)).status).toBe(200);
      await upstreamUntouched(async () =>
        expectForbidden(await proxyRequest(stack.proxyUrl, 'POST', '/v1/embeddings', key, { model: 'text-embedding-3-small', input: 'a' }), 'path_not_allowed', '/v1/embeddings'),
      );
    });
  });

  describe('allowedModels', () => {
    it("a provider setting's allowedModels: another model is 403 model_not_allowed, with no upstream call", async () => {
      const key = await createKey({ settingIds: [settings.restricted] });
      await upstreamUntouched(async () => {
        expectForbidden(await chat(stack.proxyUrl, key, { model: 'gpt-4o' }), 'model_not_allowed', "'gpt-4o'");
        expectForbidden(await chat(stack.proxyUrl, key, { model: 'gpt-4o', stream: true }), 'model_not_allowed', "'gpt-4o'");
        expectForbidden(await proxyRequest(stack.proxyUrl, 'POST', '/v1/embeddings', key, { model: 'text-embedding-3-small', input: 'a' }), 'model_not_allowed', 'text-embedding-3-small');
      });
      expect((await chat(stack.proxyUrl, key, { model: 'gpt-4o-mini' })).status).toBe(200);
    });

    it('a change made through an upper-case id applies at once, as through the stored form', async () => {
      const setting = (await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } })).body.id;
      const key = await createKey({ settingIds: [setting] });
      expect((await chat(stack.proxyUrl, key, { model: 'gpt-4o' })).status).toBe(200);
      expect((await stack.admin('PATCH', `/api/provider-settings/${setting.toUpperCase()}`, { allowedModels: ['gpt-4o-mini'] })).status).toBe(200);
      // The writing replica applies its own change before answering: no resync needed.
      expectForbidden(await chat(stack.proxyUrl, key, { model: 'gpt-4o' }), 'model_not_allowed', "'gpt-4o'");
    });

    it("a user's allowedModels apply to requests attributed to the user (OpenAI `user` field or x-user-id)", async () => {
      const user = await stack.admin('POST', '/api/users', { name: 'model-limited', userId: 'model-limited-user', allowedModels: ['gpt-4o-mini'] });
      expect(user.status).toBe(200);
      const key = await createKey({});
      await upstreamUntouched(async () => {
        expectForbidden(await chat(stack.proxyUrl, key, { model: 'gpt-4o', user: 'model-limited-user' }), 'model_not_allowed', "'gpt-4o'");
        expectForbidden(await chat(stack.proxyUrl, key, { model: 'gpt-4o' }, { 'x-user-id': 'model-limited-user' }), 'model_not_allowed', "'gpt-4o'");
      });
      expect((await chat(stack.proxyUrl, key, { model: 'gpt-4o-mini', user: 'model-limited-user' })).status).toBe(200);
      // Other users, and requests without a user, are not bound by this user's list.
      expect((await chat(stack.proxyUrl, key, { model: 'gpt-4o', user: 'somebody-else' })).status).toBe(200);
      expect((await chat(stack.proxyUrl, key, { model: 'gpt-4o' })).status).toBe(200);
    });

    it('a model listed as provider/model (the form /v1/models lists and clients send) allows that model, and only on that provider', async () => {
      expect((await stack.admin('POST', '/api/users', { name: 'prefixed', userId: 'prefixed-models-user', allowedModels: ['openai/gpt-4o-mini'] })).status).toBe(200);
      const prefixedSetting = (await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl }, allowedModels: ['openai/gpt-4o-mini'] })).body.id;
      const key = await createKey({});
      const settingKey = (await issueKey(stack.admin, [stack.proxyUrl], 'access', [prefixedSetting])).key;
      for (const model of ['openai/gpt-4o-mini', 'gpt-4o-mini']) {
        expect([model, (await chat(stack.proxyUrl, key, { model, user: 'prefixed-models-user' })).status]).toEqual([model, 200]);
        expect([model, (await chat(stack.proxyUrl, settingKey, { model })).status]).toEqual([model, 200]);
      }
      await upstreamUntouched(async () => {
        expectForbidden(await chat(stack.proxyUrl, key, { model: 'openai/gpt-4o', user: 'prefixed-models-user' }), 'model_not_allowed', "'gpt-4o'");
        expectForbidden(await chat(stack.proxyUrl, settingKey, { model: 'gpt-4o' }), 'model_not_allowed', "'gpt-4o'");
      });
      // Listed once in the form /v1/models gives each provider's models (bare for OpenAI, provider/model
      // for the others): not with the entry's prefix and then the provider's again.
      expect((await proxyRequest(stack.proxyUrl, 'GET', '/v1/models', settingKey)).body.data.map((model: { id: string }) => model.id)).toEqual(['gpt-4o-mini']);
    });
    it("GET /v1/models shows a user limited to some models those only, and /v1/models/{id} is a 404 for the others", async () => {
      expect((await stack.admin('POST', '/api/users', { name: 'lister', userId: 'listing-user', allowedModels: ['gpt-4o-mini'] })).status).toBe(200);
      const twoModels = (await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl }, allowedModels: ['gpt-4o', 'gpt-4o-mini'] })).body.id;
      const key = (await issueKey(stack.admin, [stack.proxyUrl], 'access', [twoModels])).key;
      const listed = async (headers: Record<string, string>) => (await proxyRequest(stack.proxyUrl, 'GET', '/v1/models', key, undefined, headers)).body.data.map((model: { id: string }) => model.id).sort();
      expect(await listed({})).toEqual(['gpt-4o', 'gpt-4o-mini']);
      expect(await listed({ 'x-user-id': 'listing-user' })).toEqual(['gpt-4o-mini']);
      expect((await proxyRequest(stack.proxyUrl, 'GET', '/v1/models/gpt-4o', key, undefined, { 'x-user-id': 'listing-user' })).status).toBe(404);
      expect((await proxyRequest(stack.proxyUrl, 'GET', '/v1/models/gpt-4o-mini', key, undefined, { 'x-user-id': 'listing-user' })).status).toBe(200);
    });
  });

  describe('rotationEnabled', () => {
    const usedCredentials = async (key: string, count: number, concurrent: boolean) => {
      const before = upstream.requests.length;
      if (concurrent) await Promise.all(Array.from({ length: count }, () => chat(stack.proxyUrl, key)));
      else for (let i = 0; i < count; i++) expect((await chat(stack.proxyUrl, key)).status).toBe(200);
      return upstream.requests.slice(before).map((request) => request.apiKey);
    };

    it('spreads requests across the OpenAI settings of the key, alternating credentials', async () => {
      const key = await createKey({ settingIds: [settings.rotationA, settings.rotationB], rotationEnabled: true });
      const sequence = await usedCredentials(key, 6, false);
      expect(new Set(sequence)).toEqual(new Set(['sk-rotation-a', 'sk-rotation-b']));
      for (let i = 1; i < sequence.length; i++) expect(sequence[i]).not.toBe(sequence[i - 1]);
      expect(countBy(await usedCredentials(key, 20, true), (apiKey) => String(apiKey))).toEqual({ 'sk-rotation-a': 10, 'sk-rotation-b': 10 });
    });

    it('rotates each model on its own: alternating models still spreads every model across the settings', async () => {
      const key = await createKey({ settingIds: [settings.rotationA, settings.rotationB], rotationEnabled: true });
      const before = upstream.requests.length;
      for (let i = 0; i < 8; i++) expect((await chat(stack.proxyUrl, key, { model: i % 2 === 0 ? 'gpt-4o-mini' : 'gpt-4o' })).status).toBe(200);
      const used = upstream.requests.slice(before).map((request) => `${String(request.body?.model)}:${String(request.apiKey)}`);
      expect(countBy(used, (pair) => pair)).toEqual({ 'gpt-4o-mini:sk-rotation-a': 2, 'gpt-4o-mini:sk-rotation-b': 2, 'gpt-4o:sk-rotation-a': 2, 'gpt-4o:sk-rotation-b': 2 });
    });

    it('without rotation, the first setting is always used', async () => {
      const key = await createKey({ settingIds: [settings.rotationA, settings.rotationB] });
      expect(new Set(await usedCredentials(key, 4, false))).toEqual(new Set(['sk-rotation-a']));
    });
  });
});

describe('admin API throttling (e2e)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ ADMIN_RATE_LIMIT_PER_MINUTE: '5', LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('the 6th admin request in a minute from one client is a 429 in the admin error shape, whatever routes they went to; wrong keys count too, with a body never read', async () => {
    const call = (key: string, path: string, init: RequestInit = {}) => fetch(`${stack.adminUrl}${path}`, { ...init, headers: { 'x-api-key': key, 'content-type': 'application/json' } });
    expect((await call('wrong-admin-key-1', '/api/key-management/keys')).status).toBe(401);
    expect((await call('wrong-admin-key-2', '/api/provider-settings')).status).toBe(401);
    // Malformed JSON: read, it would be a 400 before any guard ran.
    expect((await call('wrong-admin-key-3', '/api/key-management/keys', { method: 'PUT', body: '{"name":' })).status).toBe(401);
    expect((await call(stack.adminKey, '/api/users')).status).toBe(200);
    expect((await call(stack.adminKey, '/api/provider-settings')).status).toBe(200);

    // Counted per client for the whole API: a route not called yet is no fresh budget.
    const throttled = await call(stack.adminKey, '/api/events?customId=none');
    expect(throttled.status).toBe(429);
    expect(await throttled.json()).toEqual({
      status: 429,
      title: 'too many requests',
      type: '/errors/rate-limit-exceeded',
      detail: expect.stringMatching(/^Too many admin API requests from this client \(at most \d+ a minute\)/),
      instance: '/api/events',
    });
    // Seconds until the client may try again (see the report: the header is suffixed with the throttler's name today).
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A wrong key is throttled the same way, on any route: no more guesses this minute.
    expect((await call('wrong-admin-key-4', '/api/key-management/keys')).status).toBe(429);
    expect((await call('wrong-admin-key-5', '/api/provider-settings', { method: 'POST', body: '{}' })).status).toBe(429);
    // Probes are not admin API calls and are never throttled.
    expect((await fetch(`${stack.adminUrl}/health/live`)).status).toBe(200);
  });
});

describe('admin API throttling across replicas (e2e)', () => {
  let stack: TestStack;
  let replica: GatewayProcess;

  beforeAll(async () => {
    stack = await startTestStack({ ADMIN_RATE_LIMIT_PER_MINUTE: '4', LOG_LEVEL: 'info' });
    replica = await spawnGateway({ ...stack.replicaEnv, ADMIN_RATE_LIMIT_PER_MINUTE: '4' });
  });
  afterAll(async () => {
    await replica?.stop();
    await stack?.close();
  });

  it('the limit holds for the deployment: requests spread over two replicas share one count', async () => {
    const call = (adminUrl: string) => fetch(`${adminUrl}/api/key-management/keys`, { headers: { 'x-api-key': stack.adminKey } });
    const statuses: number[] = [];
    for (const adminUrl of [stack.adminUrl, replica.adminUrl, stack.adminUrl, replica.adminUrl, stack.adminUrl, replica.adminUrl]) {
      statuses.push((await call(adminUrl)).status);
    }
    // With counters per replica, each would still allow its 4 (8 in all).
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});
