import { randomBytes } from 'node:crypto';
import { FakeOpenAI } from './support/fake-openai';
import { GatewayProcess, spawnGateway } from './support/tollgate-process';
import { Client } from 'pg';
import { TestStack, eventually, startTestStack } from './support/test-stack';

describe('admin API (e2e)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const createSetting = async (extra: Record<string, unknown> = {}) => {
    const response = await stack.admin<{ id: string }>('POST', '/api/provider-settings', {
      provider: 'openai',
      setting: { apiKey: 'sk-admin-test-secret', url: 'https://api.openai.com/v1' },
      name: 'team-openai',
      ...extra,
    });
    expect(response.status).toBe(200);
    return response.body;
  };

  describe('authentication', () => {
    it('rejects a missing or wrong X-API-KEY with the documented error shape', async () => {
      for (const headers of [{ 'x-api-key': '' }, { 'x-api-key': 'wrong-key-wrong-key' }]) {
        const response = await fetch(`${stack.adminUrl}/api/provider-settings`, { headers });
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({
          status: 401,
          title: 'unauthorized',
          type: '/errors/invalid-api-key',
          detail: expect.stringContaining('X-API-KEY'),
          instance: '/api/provider-settings',
        });
      }
    });

    it('is not reachable on the proxy port, and the proxy is not on the admin port', async () => {
      const onProxy = await fetch(`${stack.proxyUrl}/api/provider-settings`, { headers: { 'x-api-key': stack.adminKey } });
      expect(onProxy.status).toBe(404);
      const onAdmin = await fetch(`${stack.adminUrl}/v1/models`, { headers: { authorization: 'Bearer whatever' } });
      expect(onAdmin.status).toBe(404);
    });

    it('refuses a route of the other listener before reading its body', async () => {
      // Malformed JSON: had the body been parsed first, the answer would be a 400 about it.
      const malformed = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' };
      const proxyRouteOnAdmin = await fetch(`${stack.adminUrl}/v1/chat/completions`, { ...malformed, headers: { ...malformed.headers, authorization: 'Bearer whatever' } });
      expect(proxyRouteOnAdmin.status).toBe(404);
      expect(await proxyRouteOnAdmin.json()).toMatchObject({ status: 404, detail: 'Cannot POST /v1/chat/completions', instance: '/v1/chat/completions' });
      const adminRouteOnProxy = await fetch(`${stack.proxyUrl}/api/provider-settings`, { ...malformed, headers: { ...malformed.headers, 'x-api-key': stack.adminKey } });
      expect(adminRouteOnProxy.status).toBe(404);
      expect(await adminRouteOnProxy.json()).toMatchObject({ error: { code: 'not_found', message: 'Cannot POST /api/provider-settings' } });
    });

    it('never reads the body of a caller without the admin key: 401 whatever it sent, and the connection closes', async () => {
      const bodies: Array<[string, string]> = [
        ['application/json', '{"name":'],
        ['text/plain', 'not json'],
        // Over the admin body limit (1 MiB): a read body would be a 413.
        ['application/json', JSON.stringify({ name: 'x'.repeat(1100 * 1024) })],
      ];
      for (const [contentType, body] of bodies) {
        for (const key of ['wrong-key-wrong-key', undefined]) {
          const response = await fetch(`${stack.adminUrl}/api/key-management/keys`, {
            method: 'PUT',
            headers: { 'content-type': contentType, ...(key ? { 'x-api-key': key } : {}) },
            body,
          });
          expect({ contentType, key, status: response.status }).toEqual({ contentType, key, status: 401 });
          expect(response.headers.get('connection')).toBe('close');
          expect(await response.json()).toMatchObject({ status: 401, type: '/errors/invalid-api-key' });
        }
      }
    });

    it('answers a path that does not exist 404 without reading the body, on both listeners', async () => {
      const malformed = { method: 'PUT', headers: { 'content-type': 'application/json' }, body: `{"name":"${'x'.repeat(1100 * 1024)}` };
      const admin = await fetch(`${stack.adminUrl}/api/key-management/key`, malformed);
      expect(admin.status).toBe(404);
      expect(admin.headers.get('connection')).toBe('close');
      expect(await admin.json()).toMatchObject({ status: 404, title: 'not found', instance: '/api/key-management/key' });
      // (Below /v1 every path is a route: OpenAI's other operations are relayed.)
      const proxy = await fetch(`${stack.proxyUrl}/v2/chat/completions`, { ...malformed, method: 'POST' });
      expect(proxy.status).toBe(404);
      expect(await proxy.json()).toMatchObject({ error: { code: 'not_found' } });
    });

    it('takes JSON bodies only (415), up to 1 MiB (413), and reports malformed JSON as the reference does', async () => {
      const put = (contentType: string, body: string) =>
        fetch(`${stack.adminUrl}/api/key-management/keys`, { method: 'PUT', headers: { 'x-api-key': stack.adminKey, 'content-type': contentType }, body });
      for (const contentType of ['text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x']) {
        const response = await put(contentType, '{}');
        expect({ contentType, status: response.status }).toEqual({ contentType, status: 415 });
        expect(await response.json()).toMatchObject({ status: 415, title: 'unsupported media type', instance: '/api/key-management/keys' });
      }
      const tooLarge = await put('application/json', JSON.stringify({ name: 'x'.repeat(1100 * 1024) }));
      expect(tooLarge.status).toBe(413);
      expect(await tooLarge.json()).toMatchObject({ status: 413, title: 'payload too large' });
      const malformed = await put('application/json; charset=utf-8', '{"name":');
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toEqual({
        status: 400,
        title: 'request body reader error',
        type: '/errors/request-body-read',
        detail: expect.stringContaining('JSON'),
        instance: '/api/key-management/keys',
      });
    });

    it('never accepts a virtual key for admin routes', async () => {
      const setting = await createSetting();
      await stack.admin('PUT', '/api/key-management/keys', { name: 'k', key: 'virtual-key-for-admin', settingIds: [setting.id] });
      const response = await fetch(`${stack.adminUrl}/api/key-management/keys`, {
        headers: { 'x-api-key': 'virtual-key-for-admin', authorization: 'Bearer virtual-key-for-admin' },
      });
      expect(response.status).toBe(401);
    });
  });

  describe('docs and health', () => {
    it('serves Swagger UI and the OpenAPI JSON on the admin port only, with fields described', async () => {
      const ui = await fetch(`${stack.adminUrl}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger');
      const json = (await (await fetch(`${stack.adminUrl}/docs-json`)).json()) as {
        paths: Record<string, unknown>;
        components: { schemas: Record<string, { properties: Record<string, { description?: string; type?: string; properties?: unknown; $ref?: string; items?: unknown }> }> };
      };
      expect(Object.keys(json.paths)).toEqual(
        expect.arrayContaining(['/api/provider-settings', '/api/key-management/keys', '/api/v2/key-management/keys', '/api/events']),
      );
      const undocumented = Object.entries(json.components.schemas).flatMap(([schema, { properties }]) =>
        Object.entries(properties ?? {})
          .filter(([, property]) => !property.description)
          .map(([name]) => `${schema}.${name}`),
      );
      expect(undocumented).toEqual([]);
      // A nullable field typed `number | null` reached the document as an empty "object": clients
      // generated from it got the wrong type. Objects must say what they hold.
      const untyped = Object.entries(json.components.schemas).flatMap(([schema, { properties }]) =>
        Object.entries(properties ?? {})
          .filter(([, property]) => property.type === 'object' && property.properties === undefined && !('additionalProperties' in property))
          .map(([name]) => `${schema}.${name}`),
      );
      expect(untyped).toEqual([]);
      // Errors are documented with their shape, and path ids are described.
      expect(Object.keys(json.components.schemas.AdminProblemResponse.properties).sort()).toEqual(['detail', 'instance', 'status', 'title', 'type']);
      const patchKey = (json.paths['/api/key-management/keys/{keyId}'] as { patch: { responses: Record<string, { content?: unknown }>; parameters: Array<{ name: string; description?: string }> } }).patch;
      expect(Object.keys(patchKey.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404', '429']));
      expect(JSON.stringify(patchKey.responses['404'])).toContain('AdminProblemResponse');
      expect(patchKey.parameters.find((parameter) => parameter.name === 'keyId')?.description).toBeTruthy();
      // Every response of every admin operation says what it is (OpenAPI requires it), and every
      // error response has the problem shape the endpoint really answers with.
      type Operation = { responses: Record<string, { description?: string; content?: unknown }> };
      const operations = Object.entries(json.paths)
        .filter(([path]) => path.startsWith('/api/'))
        .flatMap(([path, methods]) => Object.entries(methods as Record<string, Operation>).map(([method, operation]) => ({ at: `${method.toUpperCase()} ${path}`, operation })));
      expect(operations.length).toBeGreaterThan(20);
      const undescribed = operations.flatMap(({ at, operation }) =>
        Object.entries(operation.responses)
          .filter(([, response]) => !response.description)
          .map(([status]) => `${at} ${status}`),
      );
      expect(undescribed).toEqual([]);
      const shapeless = operations.flatMap(({ at, operation }) =>
        Object.entries(operation.responses)
          .filter(([status, response]) => Number(status) >= 400 && !JSON.stringify(response.content ?? null).includes('AdminProblemResponse'))
          .map(([status]) => `${at} ${status}`),
      );
      expect(shapeless).toEqual([]);
      // Whole numbers are integers to generated clients and Swagger UI (2.5 would be a 400), and
      // what creating a key requires is marked required.
      const schemas = json.components.schemas as Record<string, { properties: Record<string, { type?: string }>; required?: string[] }>;
      expect([schemas.CreateKeyRequest.properties.rateLimitOverTime.type, schemas.RouteConfigRequest.properties.stream_max_empty_messages.type]).toEqual(['integer', 'integer']);
      expect(schemas.CreateKeyRequest.required).toEqual(expect.arrayContaining(['name', 'key', 'settingIds']));
      const eventsQuery = (json.paths['/api/events'] as { get: { parameters: Array<{ name: string; schema?: { type?: string } }> } }).get.parameters;
      expect(eventsQuery.filter((parameter) => ['start', 'end'].includes(parameter.name)).map((parameter) => parameter.schema?.type)).toEqual(['integer', 'integer']);
      // Its pages: the parameters, their bounds, and the headers that say a next page exists.
      const eventsList = json.paths['/api/events'] as { get: { parameters: Array<{ name: string; schema?: { maximum?: number } }>; responses: Record<string, { headers?: Record<string, unknown> }> } };
      expect(eventsList.get.parameters.filter((parameter) => ['userId', 'limit', 'cursor'].includes(parameter.name)).map((parameter) => [parameter.name, parameter.schema?.maximum])).toEqual([
        ['userId', undefined],
        ['limit', 1000],
        ['cursor', undefined],
      ]);
      expect(Object.keys(eventsList.get.responses['200'].headers ?? {})).toEqual(['Link', 'x-next-cursor']);
      // Page sizes take 0 (the default, or no limit), as the API does: a client generated from the
      // document must be able to send it.
      const limitMinimum = (path: string, method: 'get' | 'post') =>
        ((json.paths[path] as Record<string, { parameters?: Array<{ name: string; schema?: { minimum?: number } }> }>)[method].parameters ?? []).find((parameter) => parameter.name === 'limit')?.schema?.minimum;
      expect([limitMinimum('/api/events', 'get'), limitMinimum('/api/v2/events', 'get')]).toEqual([0, 0]);
      expect((schemas.SearchKeysRequest.properties.limit as { minimum?: number }).minimum).toBe(0);
      // Answers' whole numbers too (the reference types them int64 and int): as "number", clients
      // generated from the document read them as floats, a Go client as float32, which holds a unix
      // time only to the nearest 128 s. Times and sums over many requests need 64 bits.
      const typeOf = (schema: string, field: string) => {
        const property = schemas[schema].properties[field] as { type?: string; format?: string };
        return `${schema}.${field}: ${property.type}${property.format ? `/${property.format}` : ''}`;
      };
      const int64 = [
        ['ProviderSettingResponse', 'createdAt'], ['ProviderSettingResponse', 'updatedAt'],
        ['KeyResponse', 'createdAt'], ['KeyResponse', 'updatedAt'], ['KeyResponse', 'expiresAt'], ['KeySearchResponse', 'count'],
        ['UserResponse', 'createdAt'], ['UserResponse', 'updatedAt'], ['UserResponse', 'expiresAt'],
        ['EventResponse', 'created_at'], ['EventSearchResponse', 'count'],
        ['MetricsDataPointResponse', 'timeStamp'], ['MetricsDataPointResponse', 'numberOfRequests'], ['MetricsDataPointResponse', 'latencyInMs'],
        ['MetricsDataPointResponse', 'promptTokenCount'], ['MetricsDataPointResponse', 'completionTokenCount'],
        ['MetricsDataPointResponse', 'successCount'], ['MetricsDataPointResponse', 'unpricedRequestCount'], ['KeySpendResponse', 'unpricedRequestCount'],
        ['ModelPriceResponse', 'updatedAt'], ['CustomProviderResponse', 'created_at'], ['CustomProviderResponse', 'updated_at'],
      ];
      expect(int64.map(([schema, field]) => typeOf(schema, field))).toEqual(int64.map(([schema, field]) => `${schema}.${field}: integer/int64`));
      const int32 = [
        ['AdminProblemResponse', 'status'], ['KeyResponse', 'rateLimitOverTime'], ['UserResponse', 'rateLimitOverTime'],
        ['EventResponse', 'status'], ['EventResponse', 'prompt_token_count'], ['EventResponse', 'completion_token_count'], ['EventResponse', 'latency_in_ms'],
        ['RouteConfigResponse', 'stream_max_empty_messages'],
      ];
      expect(int32.map(([schema, field]) => typeOf(schema, field))).toEqual(int32.map(([schema, field]) => `${schema}.${field}: integer/int32`));
      expect((await fetch(`${stack.proxyUrl}/docs`)).status).toBe(404);
      expect((await fetch(`${stack.proxyUrl}/docs-json`)).status).toBe(404);
      // Spelled as the router still reads it, percent-encoded.
      expect((await fetch(`${stack.proxyUrl}/%64ocs`)).status).toBe(404);
      expect((await fetch(`${stack.proxyUrl}/%64ocs-json`)).status).toBe(404);
      // The admin port serves that spelling: the same route.
      expect((await fetch(`${stack.adminUrl}/%64ocs-json`)).status).toBe(200);
    });

    it('answers liveness and readiness on both ports', async () => {
      for (const base of [stack.adminUrl, stack.proxyUrl]) {
        expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ status: 'ok' });
        const ready = await fetch(`${base}/health/ready`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', eventsQueue: 'ok', migrations: 'ok', snapshot: 'ok', credentials: 'ok' } });
      }
    });
  });

  describe('provider settings', () => {
    it('creates, lists and updates without ever returning or storing the credential in the clear', async () => {
      const created = await stack.admin<Record<string, unknown>>('POST', '/api/provider-settings', {
        provider: 'openai',
        setting: { apikey: 'sk-very-secret-value' },
        allowedModels: ['gpt-4o-mini'],
      });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ provider: 'openai', allowedModels: ['gpt-4o-mini'], name: '' });
      expect(typeof created.body.createdAt).toBe('number');
      const id = created.body.id as string;

      const patched = await stack.admin('PATCH', `/api/provider-settings/${id}`, { name: 'renamed', setting: { url: 'https://proxy.example.com/v1' } });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id, name: 'renamed', url: 'https://proxy.example.com/v1' });

      const listed = await stack.admin<Array<Record<string, unknown>>>('GET', `/api/provider-settings?ids=${id}`);
      expect(listed.body.map((s) => s.id)).toEqual([id]);
      expect(await stack.admin('GET', '/api/provider-settings?ids=not-a-uuid')).toMatchObject({ status: 200, body: [] });

      const everything = JSON.stringify([created.body, patched.body, listed.body]);
      expect(everything).not.toContain('sk-very-secret-value');
      const [row] = await stack.sql<{ credentials_ciphertext: string; options: unknown }>(
        'SELECT credentials_ciphertext, options FROM provider_settings WHERE id = $1',
        [id],
      );
      expect(row.credentials_ciphertext).not.toContain('sk-very-secret-value');
      expect(row.credentials_ciphertext).toMatch(/^v1\./);
      expect(stack.logs.join('\n')).not.toContain('sk-very-secret-value');
    });

    it('validates bodies: unknown provider, missing key, unknown fields, bad url', async () => {
      const cases: Array<[unknown, string]> = [
        [{ provider: 'nope', setting: { apiKey: 'x' } }, 'provider'],
        [{ provider: 'openai', setting: {} }, 'setting.apiKey'],
        [{ provider: 'openai', setting: { apiKey: 'x' }, bogus: 1 }, 'bogus'],
        [{ provider: 'openai', setting: { apiKey: 'x', password: 'y' } }, 'password'],
        [{ provider: 'openai', setting: { apiKey: 'x', url: 'ftp://host' } }, 'setting.url'],
        [{ provider: 'vllm', setting: {} }, 'setting.url'],
        // Paths are appended to the base URL: after a query or a fragment they were lost.
        [{ provider: 'openai', setting: { apiKey: 'x', url: 'https://api.example.com/v1?x=1' } }, 'setting.url must not carry a query'],
        [{ provider: 'openai', setting: { apiKey: 'x', url: 'https://api.example.com/v1#f' } }, 'setting.url must not carry a query'],
        [{ provider: 'openai', setting: { apiKey: 'x', url: 'https://api.example.com/v1?' } }, 'setting.url must not carry a query'],
        // Sent in a header: every request of such a setting failed with a 502.
        [{ provider: 'openai', setting: { apiKey: 'sk\nX-Injected: 1' } }, 'setting.apiKey must be printable ASCII'],
        [{ provider: 'anthropic', setting: { apiKey: 'sk-é€' } }, 'setting.apiKey must be printable ASCII'],
        [{ provider: 'gemini', setting: { apikey: ' padded ' } }, 'setting.apikey must be printable ASCII'],
      ];
      for (const [body, mentioned] of cases) {
        const response = await stack.admin<{ status: number; detail: string; instance: string }>('POST', '/api/provider-settings', body);
        expect(response.status).toBe(400);
        expect(response.body.detail).toContain(mentioned);
        expect(response.body.instance).toBe('/api/provider-settings');
      }
    });

    it('refuses null for the name and for credentials (a null list is an unset one)', async () => {
      const { id } = await createSetting();
      for (const body of [{ name: null }, { setting: null }, { setting: { apiKey: null } }]) {
        const response = await stack.admin<{ detail: string }>('PATCH', `/api/provider-settings/${id}`, body);
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expect(response.body.detail).toContain('must not be null');
      }
      expect((await stack.admin('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-x' }, name: null })).status).toBe(400);
      const unsetList = await stack.admin<{ allowedModels: string[] }>('PATCH', `/api/provider-settings/${id}`, { allowedModels: null });
      expect(unsetList.status).toBe(200);
      expect(unsetList.body.allowedModels).toEqual([]);
    });

    it('removes a connection option with null on PATCH (back to the default URL; from a url to a resourceName), as long as the setting stays complete', async () => {
      const openai = await stack.admin<{ id: string; url?: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-x', url: 'https://proxy.example.com/v1' } });
      expect(openai.body.url).toBe('https://proxy.example.com/v1');
      const reset = await stack.admin<{ url?: string }>('PATCH', `/api/provider-settings/${openai.body.id}`, { setting: { url: null } });
      expect([reset.status, reset.body.url]).toEqual([200, undefined]);
      const azure = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'azure', setting: { apiKey: 'az-x', url: 'https://gateway.example.com/openai' } });
      const moved = await stack.admin<{ url?: string; resourceName?: string }>('PATCH', `/api/provider-settings/${azure.body.id}`, { setting: { url: null, resourceName: 'my-resource' } });
      expect([moved.status, moved.body.url, moved.body.resourceName]).toEqual([200, undefined, 'my-resource']);
      // Without either, an Azure setting could reach nothing: refused, and left as it was.
      const incomplete = await stack.admin<{ detail: string }>('PATCH', `/api/provider-settings/${azure.body.id}`, { setting: { resourceName: null } });
      expect(incomplete.status).toBe(400);
      const [kept] = (await stack.admin<Array<{ resourceName?: string }>>('GET', `/api/provider-settings?ids=${azure.body.id}`)).body;
      expect(kept.resourceName).toBe('my-resource');
      // On create, null is not given.
      expect((await stack.admin('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-x', url: null } })).status).toBe(200);
    });

    it('refuses empty model names, and a custom setting without the name that finds it', async () => {
      const emptyModel = await stack.admin<{ detail: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-x' }, allowedModels: [''] });
      expect(emptyModel.status).toBe(400);
      expect(emptyModel.body.detail).toContain('allowedModels');
      for (const name of [undefined, '', '  ']) {
        const nameless = await stack.admin<{ detail: string }>('POST', '/api/provider-settings', { provider: 'custom', setting: { apiKey: 'x' }, ...(name === undefined ? {} : { name }) });
        expect([name, nameless.status]).toEqual([name, 400]);
        expect(nameless.body.detail).toContain('name');
      }
      const named = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'custom', name: 'acme-admin-test', setting: { apiKey: 'x' } });
      expect(named.status).toBe(200);
      expect((await stack.admin('PATCH', `/api/provider-settings/${named.body.id}`, { name: '  ' })).status).toBe(400);
      // "" is "not given", as everywhere: the name stays.
      expect((await stack.admin<{ name: string }>('PATCH', `/api/provider-settings/${named.body.id}`, { name: '' })).body.name).toBe('acme-admin-test');
    });

    it("creates with PUT too, as the reference's quick start does", async () => {
      const created = await stack.admin<{ id: string; provider: string }>('PUT', '/api/provider-settings', { provider: 'openai', setting: { apikey: 'sk-quick-start-secret' } });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ id: expect.any(String), provider: 'openai' });
      expect(JSON.stringify(created.body)).not.toContain('sk-quick-start-secret');
      const listed = await stack.admin<Array<{ id: string }>>('GET', `/api/provider-settings?ids=${created.body.id}`);
      expect(listed.body.map((setting) => setting.id)).toEqual([created.body.id]);
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      expect((await stack.admin('PATCH', '/api/provider-settings/00000000-0000-4000-8000-000000000000', { name: 'x' })).status).toBe(404);
      expect((await stack.admin('PATCH', '/api/provider-settings/not-a-uuid', { name: 'x' })).status).toBe(400);
    });
  });

  describe('keys', () => {
    it('creates a key, stores only its hash and never returns it', async () => {
      const setting = await createSetting();
      const created = await stack.admin<Record<string, unknown>>('PUT', '/api/key-management/keys', {
        name: 'student key',
        key: 'tg-plaintext-never-returned',
        tags: ['course-101'],
        settingIds: [setting.id],
        rateLimitOverTime: 2,
        rateLimitUnit: 'm',
        costLimitInUsd: 0.25,
        ttl: '24h',
        allowedPaths: [{ path: '/v1/chat/completions', method: 'POST' }],
      });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        name: 'student key',
        tags: ['course-101'],
        settingIds: [setting.id],
        settingId: setting.id,
        rateLimitOverTime: 2,
        rateLimitUnit: 'm',
        costLimitInUsd: 0.25,
        ttl: '24h',
        revoked: false,
        isKeyNotHashed: false,
      });
      expect(created.body.expiresAt).toBeGreaterThan(Date.now() / 1000 + 23 * 3600);
      expect(JSON.stringify(created.body)).not.toContain('tg-plaintext-never-returned');
      const [row] = await stack.sql<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE key_id = $1', [created.body.keyId]);
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
      const dump = JSON.stringify(await stack.sql('SELECT * FROM api_keys'));
      expect(dump).not.toContain('tg-plaintext-never-returned');
    });

    it('rejects server-owned, unknown and invalid fields', async () => {
      const setting = await createSetting();
      const base = { name: 'k', key: 'tg-validation-key-1', settingIds: [setting.id] };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...base, keyId: '00000000-0000-4000-8000-000000000000' }, 'keyId'],
        [{ ...base, createdAt: 1 }, 'createdAt'],
        [{ ...base, spentUsd: 0 }, 'spentUsd'],
        [{ ...base, whatever: true }, 'whatever'],
        [{ ...base, ttl: 'forever' }, 'ttl'],
        [{ ...base, rateLimitUnit: 'w', rateLimitOverTime: 1 }, 'rateLimitUnit'],
        [{ ...base, rateLimitUnit: 'm' }, 'rateLimitOverTime'],
        [{ ...base, costLimitInUsd: -1 }, 'costLimitInUsd'],
        [{ ...base, settingIds: ['00000000-0000-4000-8000-000000000000'] }, 'settingIds'],
        [{ ...base, allowedPaths: [{ path: 'no-slash', method: 'POST' }] }, 'path'],
        // A list where an object belongs passed the nested validation and failed as a 500.
        [{ ...base, allowedPaths: [[]] }, 'allowedPaths'],
        [{ name: 'k', settingIds: [setting.id] }, 'key'],
        // Keys no client could send: a header loses surrounding spaces and carries no other letters unchanged.
        [{ ...base, key: '  spaced-key-12345  ' }, 'key'],
        [{ ...base, key: 'ключ-secret-12345' }, 'key'],
        [{ ...base, key: 'tab\tinside-12345' }, 'key'],
      ];
      for (const [body, mentioned] of cases) {
        const response = await stack.admin<{ detail: string }>('PUT', '/api/key-management/keys', body);
        expect({ mentioned, status: response.status }).toEqual({ mentioned, status: 400 });
        expect(response.body.detail).toContain(mentioned);
      }
      const malformed = await fetch(`${stack.adminUrl}/api/key-management/keys`, {
        method: 'PUT',
        headers: { 'x-api-key': stack.adminKey, 'content-type': 'application/json' },
        body: '{"name":',
      });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ status: 400, title: 'request body reader error' });
    });

    it('says a field left out is required, once, and where it is read from (not "must be shorter than 512 characters")', async () => {
      const cases: Array<[string, string, unknown, string]> = [
        ['PUT', '/api/key-management/keys', {}, 'name is required; key is required'],
        ['POST', '/api/provider-settings', {}, 'provider is required; setting is required'],
        ['PUT', '/api/model-prices', { provider: 'openai', model: 'm' }, 'inputUsdPerMillionTokens is required; outputUsdPerMillionTokens is required'],
        // Sent as a JSON body, as PUT takes them: DELETE reads them from its query string.
        ['DELETE', '/api/model-prices', { provider: 'openai', model: 'm' }, 'provider is required (in the query string); model is required (in the query string)'],
        ['GET', '/api/reporting/user-ids', undefined, 'keyId is required (in the query string)'],
      ];
      for (const [method, path, body, detail] of cases) {
        const response = await stack.admin<{ detail: string }>(method, path, body);
        expect({ path, status: response.status, detail: response.body.detail }).toEqual({ path, status: 400, detail });
      }
    });

    it('refuses null where a field cannot be empty and numbers past what is stored; null removes limits, the ttl and the policy', async () => {
      const setting = await createSetting();
      const created = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', {
        name: 'k',
        key: 'tg-null-fields-key',
        settingIds: [setting.id],
        costLimitInUsd: 5,
        rateLimitOverTime: 3,
        rateLimitUnit: 'm',
        ttl: '1h',
      });
      expect(created.status).toBe(200);
      const path = `/api/key-management/keys/${created.body.keyId}`;
      for (const field of ['name', 'shouldLogRequest', 'shouldLogResponse', 'rotationEnabled', 'revoked']) {
        const response = await stack.admin<{ detail: string }>('PATCH', path, { [field]: null });
        expect({ field, status: response.status }).toEqual({ field, status: 400 });
        expect(response.body.detail).toContain(`${field} must not be null`);
      }
      // A null list is an unset one (BricksLLM's Go clients send nil slices as null): kept as it is.
      const unsetLists = await stack.admin<{ settingIds: string[]; tags: string[] }>('PATCH', path, { tags: null, settingIds: null, allowedPaths: null });
      expect(unsetLists.status).toBe(200);
      expect(unsetLists.body).toMatchObject({ settingIds: [setting.id], tags: [] });
      const noSettings = await stack.admin<{ detail: string }>('PATCH', path, { settingIds: [] });
      expect(noSettings.status).toBe(400);
      expect(noSettings.body.detail).toContain('at least one provider setting');
      const beyond: Array<Record<string, unknown>> = [
        { costLimitInUsd: 1e10 },
        { costLimitInUsdOverTime: 2e9, costLimitInUsdUnit: 'd' },
        { rateLimitOverTime: 3_000_000_000, rateLimitUnit: 'm' },
        { ttl: '99999999999999d' },
        { ttl: '36500000d' },
      ];
      for (const body of beyond) {
        const patched = await stack.admin('PATCH', path, body);
        const createdBeyond = await stack.admin('PUT', '/api/key-management/keys', { name: 'k', key: 'tg-beyond-key-1', settingIds: [setting.id], ...body });
        expect({ body, patch: patched.status, create: createdBeyond.status }).toEqual({ body, patch: 400, create: 400 });
      }

      const cleared = await stack.admin<Record<string, unknown>>('PATCH', path, { costLimitInUsd: null, rateLimitOverTime: null, rateLimitUnit: null, ttl: null, policyId: null });
      expect(cleared.status).toBe(200);
      // Shown as BricksLLM shows an unset field: its zero value. expiresAt is Tollgate's own, and absent.
      expect(cleared.body).toMatchObject({ costLimitInUsd: 0, rateLimitOverTime: 0, rateLimitUnit: '', ttl: '', policyId: '' });
      expect(cleared.body).not.toHaveProperty('expiresAt');
      const [row] = await stack.sql<Record<string, unknown>>(
        'SELECT name, cost_limit_in_usd, rate_limit_over_time, rate_limit_unit, ttl, expires_at, policy_id, setting_ids, key_hash FROM api_keys WHERE key_id = $1',
        [created.body.keyId],
      );
      expect(row).toMatchObject({ name: 'k', cost_limit_in_usd: null, rate_limit_over_time: null, rate_limit_unit: null, ttl: null, expires_at: null, policy_id: null, setting_ids: [setting.id] });
      // None of it reached the database as an error, so no query (and no key hash) was logged.
      expect(stack.logs.join('\n')).not.toContain(row.key_hash as string);
    });

    it('searches and creates with unset lists sent as null, as Go clients do', async () => {
      const setting = await createSetting();
      const created = await stack.admin<{ keyId: string; settingIds: string[] }>('PUT', '/api/key-management/keys', { name: 'go-client', key: 'tg-go-client-key-1', settingId: setting.id, settingIds: null, tags: null });
      expect(created.status).toBe(200);
      expect(created.body.settingIds).toEqual([setting.id]);
      const found = await stack.admin<{ keys: Array<{ keyId: string }> }>('POST', '/api/v2/key-management/keys', { keyIds: null, tags: null, name: 'go-client', limit: 10 });
      expect(found.status).toBe(200);
      expect(found.body.keys.map((key) => key.keyId)).toEqual([created.body.keyId]);
    });

    it("reads a Go client's zero values as BricksLLM does: 0 (with a unit of \"\") is no limit, and removes one on update; other \"\" are not given", async () => {
      const setting = await createSetting();
      const zeros = { costLimitInUsd: 0, costLimitInUsdOverTime: 0, costLimitInUsdUnit: '', rateLimitOverTime: 0, rateLimitUnit: '', ttl: '', policyId: '', settingId: '' };
      const created = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: 'go-zero', key: 'tg-go-zero-key-1', settingIds: [setting.id], ...zeros });
      expect(created.status).toBe(200);
      const limitsOf = async () =>
        (
          await stack.sql(
            'SELECT name, cost_limit_in_usd, cost_limit_in_usd_over_time, cost_limit_in_usd_unit, rate_limit_over_time, rate_limit_unit, ttl, expires_at IS NOT NULL AS expires, policy_id, revoked_reason, setting_ids FROM api_keys WHERE key_id = $1',
            [created.body.keyId],
          )
        )[0];
      expect(await limitsOf()).toEqual({
        name: 'go-zero',
        cost_limit_in_usd: null,
        cost_limit_in_usd_over_time: null,
        cost_limit_in_usd_unit: null,
        rate_limit_over_time: null,
        rate_limit_unit: null,
        ttl: null,
        expires: false,
        policy_id: null,
        revoked_reason: null,
        setting_ids: [setting.id],
      });

      const limited = { costLimitInUsd: 5, costLimitInUsdOverTime: 1, costLimitInUsdUnit: 'd', rateLimitOverTime: 3, rateLimitUnit: 'm', ttl: '1h', revoked: true, revokedReason: 'paused' };
      expect((await stack.admin('PATCH', `/api/key-management/keys/${created.body.keyId}`, limited)).status).toBe(200);
      const before = await limitsOf();
      expect(before).toMatchObject({ cost_limit_in_usd: '5.0000000000', rate_limit_over_time: 3, ttl: '1h', expires: true, policy_id: null, revoked_reason: 'paused' });
      // "" for a name, a reason, a ttl, a policy or a setting changes nothing...
      const unchanged = await stack.admin('PATCH', `/api/key-management/keys/${created.body.keyId}`, { name: '', revokedReason: '', ttl: '', policyId: '', settingId: '' });
      expect(unchanged.status).toBe(200);
      expect(await limitsOf()).toEqual(before);
      // ...while 0 removes a limit, as BricksLLM's update does (a periodic one with its unit "").
      const cleared = await stack.admin('PATCH', `/api/key-management/keys/${created.body.keyId}`, {
        costLimitInUsd: 0,
        costLimitInUsdOverTime: 0,
        costLimitInUsdUnit: '',
        rateLimitOverTime: 0,
        rateLimitUnit: '',
      });
      expect(cleared.status).toBe(200);
      expect(await limitsOf()).toEqual({
        ...before,
        cost_limit_in_usd: null,
        cost_limit_in_usd_over_time: null,
        cost_limit_in_usd_unit: null,
        rate_limit_over_time: null,
        rate_limit_unit: null,
      });
      // 0 with a unit is not a limit BricksLLM takes either.
      expect((await stack.admin('PATCH', `/api/key-management/keys/${created.body.keyId}`, { rateLimitOverTime: 0, rateLimitUnit: 'm' })).status).toBe(400);

      const search = await stack.admin<{ keys: Array<{ keyId: string }> }>('POST', '/api/v2/key-management/keys', {
        keyIds: [created.body.keyId],
        name: '',
        revoked: null,
        limit: 0,
        offset: 0,
        order: '',
        returnCount: false,
      });
      expect(search.status).toBe(200);
      expect(search.body.keys.map((key) => key.keyId)).toEqual([created.body.keyId]);
      const events = await stack.admin('POST', '/api/v2/events', { start: 0, end: 9_999_999_999, limit: 0, offset: 0, costOrder: '', dateOrder: '' });
      expect(events.status).toBe(200);
    });

    it('behaves as the reference: restoring clears the reason, PATCH takes isKeyNotHashed, ttl takes Go durations; blank names and empty tags are refused', async () => {
      const setting = await createSetting();
      const created = await stack.admin<{ keyId: string; expiresAt: number }>('PUT', '/api/key-management/keys', { name: 'ref', key: 'tg-reference-key-1', settingIds: [setting.id], ttl: '1.5h' });
      expect(created.status).toBe(200);
      expect(created.body.expiresAt - Date.now() / 1000).toBeGreaterThan(5_400 - 60);
      expect(created.body.expiresAt - Date.now() / 1000).toBeLessThanOrEqual(5_400);
      const path = `/api/key-management/keys/${created.body.keyId}`;
      const compound = await stack.admin<{ expiresAt: number }>('PATCH', path, { ttl: '1h30m' });
      expect(compound.body.expiresAt - Date.now() / 1000).toBeGreaterThan(5_400 - 60);

      expect((await stack.admin<Record<string, unknown>>('PATCH', path, { revoked: true, revokedReason: 'gone' })).body).toMatchObject({ revoked: true, revokedReason: 'gone' });
      const restored = await stack.admin<Record<string, unknown>>('PATCH', path, { revoked: false });
      expect(restored.body.revoked).toBe(false);
      expect(restored.body.revokedReason).toBe('');

      const echoed = await stack.admin<Record<string, unknown>>('PATCH', path, { isKeyNotHashed: true });
      expect(echoed).toMatchObject({ status: 200, body: { isKeyNotHashed: true } });
      const [row] = await stack.sql<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE key_id = $1', [created.body.keyId]);
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);

      const refusals: Array<[string, string, Record<string, unknown>, string]> = [
        ['PUT', '/api/key-management/keys', { name: '   ', key: 'tg-reference-key-2', settingIds: [setting.id] }, 'name'],
        ['PUT', '/api/key-management/keys', { name: 'n', key: 'tg-reference-key-3', settingIds: [setting.id], tags: [''] }, 'tags'],
        ['PATCH', path, { name: ' ' }, 'name'],
        ['PATCH', path, { ttl: '1.5' }, 'ttl'],
      ];
      for (const [method, url, body, mentioned] of refusals) {
        const response = await stack.admin<{ detail: string }>(method, url, body);
        expect([mentioned, response.status]).toEqual([mentioned, 400]);
        expect(response.body.detail).toContain(mentioned);
      }
    });

    it('refuses a null body and JSON nested too deep, as 400s in the admin shape', async () => {
      const setting = await createSetting();
      const key = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: 'body-shape', key: 'tg-body-shape-key', settingIds: [setting.id] });
      const send = (method: string, path: string, body: string) =>
        fetch(`${stack.adminUrl}${path}`, { method, headers: { 'x-api-key': stack.adminKey, 'content-type': 'application/json' }, body });
      const cases: Array<[string, string, string]> = [
        ['PATCH', `/api/key-management/keys/${key.body.keyId}`, 'null'],
        ['PATCH', `/api/provider-settings/${setting.id}`, 'null'],
        ['POST', '/api/v2/key-management/keys', 'null'],
        ['PUT', '/api/key-management/keys', `{"name":"deep","key":"tg-deep-key-1","x":${'['.repeat(2_000)}${']'.repeat(2_000)}}`],
      ];
      for (const [method, path, body] of cases) {
        const response = await send(method, path, body);
        expect([method, path, response.status]).toEqual([method, path, 400]);
        expect(await response.json()).toMatchObject({ status: 400, title: 'bad request', detail: expect.stringMatching(/null|nested/) });
      }
    });

    it('checks the list query: a misspelt or repeated single-value filter is a 400, not every key or none', async () => {
      for (const query of ['keyId=abc', 'tag=a&tag=b', 'provider=openai&provider=anthropic']) {
        const response = await stack.admin<{ status: number; detail: string }>('GET', `/api/key-management/keys?${query}`);
        expect([query, response.status]).toEqual([query, 400]);
        expect(response.body).toMatchObject({ status: 400, title: 'bad request' });
      }
      // An empty filter is no filter, as in BricksLLM.
      const all = await stack.admin<unknown[]>('GET', '/api/key-management/keys');
      expect((await stack.admin<unknown[]>('GET', '/api/key-management/keys?tag=&provider=')).body).toHaveLength(all.body.length);
      // Routes without filters refuse one rather than answer with everything.
      for (const path of ['/api/custom/providers?provider=nope', '/api/model-prices?model=x', '/api/reporting/user-ids?keyId=k&bogus=1', '/api/reporting/custom-ids?keyId=k&keyId=j', '/api/reporting/custom-ids']) {
        expect([path, (await stack.admin('GET', path)).status]).toEqual([path, 400]);
      }
    });

    it('shows every field of the reference\'s key object, unset limits as their zero values (clients read them as float64, int, string)', async () => {
      const setting = await createSetting();
      const bare = await stack.admin<Record<string, unknown>>('PUT', '/api/key-management/keys', { name: 'bare', key: 'tg-bare-key-fields', settingIds: [setting.id] });
      expect(bare.status).toBe(200);
      expect(bare.body).toMatchObject({
        costLimitInUsd: 0,
        costLimitInUsdOverTime: 0,
        costLimitInUsdUnit: '',
        rateLimitOverTime: 0,
        rateLimitUnit: '',
        ttl: '',
        revokedReason: '',
        policyId: '',
        settingId: setting.id,
      });
      const [listed] = (await stack.admin<Array<Record<string, unknown>>>('GET', `/api/key-management/keys?keyIds=${String(bare.body.keyId)}`)).body;
      expect(listed).toEqual(bare.body);
    });

    it('refuses to bind a key to a policy while there are none, rather than let it look protected', async () => {
      const setting = await createSetting();
      const created = await stack.admin<{ status: number; detail: string }>('PUT', '/api/key-management/keys', { name: 'p', key: 'tg-policy-key', settingIds: [setting.id], policyId: 'pii-redact' });
      expect([created.status, created.body.detail]).toEqual([400, expect.stringContaining('policies are not available')]);
      const key = await stack.admin<{ keyId: string; policyId: string }>('PUT', '/api/key-management/keys', { name: 'p', key: 'tg-policy-key', settingIds: [setting.id], policyId: '' });
      expect([key.status, key.body.policyId]).toEqual([200, '']);
      const patched = await stack.admin<{ status: number; detail: string }>('PATCH', `/api/key-management/keys/${key.body.keyId}`, { policyId: 'pii-redact' });
      expect([patched.status, patched.body.detail]).toEqual([400, expect.stringContaining('policies are not available')]);
      // A key stored with a policy id before this rule still takes its own object back (a Go
      // client PATCHes the whole key), and null removes the id.
      await stack.sql("UPDATE api_keys SET policy_id = 'pol-123' WHERE key_id = $1", [key.body.keyId]);
      const [stored] = (await stack.admin<Array<Record<string, unknown>>>('GET', `/api/key-management/keys?keyIds=${key.body.keyId}`)).body;
      const { keyId: _keyId, createdAt: _createdAt, updatedAt: _updatedAt, expiresAt: _expiresAt, settingId: _settingId, ...sentBack } = stored;
      const revoked = await stack.admin<Record<string, unknown>>('PATCH', `/api/key-management/keys/${key.body.keyId}`, { ...sentBack, revoked: true });
      expect([revoked.status, revoked.body.revoked, revoked.body.policyId]).toEqual([200, true, 'pol-123']);
      expect((await stack.admin<{ policyId: string }>('PATCH', `/api/key-management/keys/${key.body.keyId}`, { policyId: null })).body.policyId).toBe('');
    });

    it('refuses cost limits finer than the nano-dollars spend is counted in (a tiny limit was stored as 0 and refused every request)', async () => {
      const setting = await createSetting();
      const base = { name: 'tiny-limit', settingIds: [setting.id] };
      for (const [field, value] of [['costLimitInUsd', 1e-11], ['costLimitInUsdOverTime', 1.0000000001]] as const) {
        const body = { ...base, key: `tg-tiny-${field}`, [field]: value, costLimitInUsdUnit: 'd' };
        const response = await stack.admin<{ status: number; detail: string }>('PUT', '/api/key-management/keys', body);
        expect([field, response.status, response.body.detail]).toEqual([field, 400, expect.stringContaining(`${field} must have at most 9 decimal places`)]);
      }
      const nano = await stack.admin<{ costLimitInUsd: number }>('PUT', '/api/key-management/keys', { ...base, key: 'tg-nano-limit', costLimitInUsd: 1e-9 });
      expect([nano.status, nano.body.costLimitInUsd]).toEqual([200, 1e-9]);
      // Ordinary amounts whose binary value is not exact are still amounts with two decimals.
      for (const amount of [1024.1, 1066.65, 5000.7, 999_999_999.99]) {
        const key = await stack.admin<{ costLimitInUsd: number; costLimitInUsdOverTime: number }>('PUT', '/api/key-management/keys', {
          ...base,
          key: `tg-amount-${amount}`,
          costLimitInUsd: amount,
          costLimitInUsdOverTime: amount,
          costLimitInUsdUnit: 'mo',
        });
        expect([amount, key.status, key.body.costLimitInUsd, key.body.costLimitInUsdOverTime]).toEqual([amount, 200, amount, amount]);
      }
    });

    it('refuses a query string on routes that read none, instead of ignoring a filter or a field sent in the wrong place', async () => {
      const setting = await createSetting();
      const key = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: 'query-check', key: 'tg-query-check-key', settingIds: [setting.id] });
      const cases: Array<[string, string, unknown]> = [
        ['POST', '/api/v2/events?keyIds=nomatch', { start: 0, end: 9_999_999_999 }],
        ['PATCH', `/api/key-management/keys/${key.body.keyId}?revoked=true`, {}],
        ['POST', '/api/provider-settings?x=1', { provider: 'openai', setting: { apiKey: 'sk-x' } }],
        ['PUT', '/api/model-prices?provider=x', { provider: 'openai', model: 'm', inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 1 }],
        ['POST', '/api/reporting/top-keys?keyIds=x', { start: 0, end: 9_999_999_999 }],
        ['POST', '/api/v2/key-management/keys?x=1', {}],
      ];
      for (const [method, path, body] of cases) {
        const response = await stack.admin<{ status: number; detail: string }>(method, path, body);
        expect([method, path, response.status, response.body.detail]).toEqual([method, path, 400, expect.stringContaining('takes no query parameters')]);
      }
      // The PATCH changed nothing; sent as a body field, the same change applies.
      const [stored] = (await stack.admin<Array<{ revoked: boolean }>>('GET', `/api/key-management/keys?keyIds=${key.body.keyId}`)).body;
      expect(stored.revoked).toBe(false);
      expect((await stack.admin<{ revoked: boolean }>('PATCH', `/api/key-management/keys/${key.body.keyId}?`, { revoked: true })).body.revoked).toBe(true);
    });

    it('concurrent updates of one key keep each other\'s changes (a revocation is not undone by a rename)', async () => {
      const setting = await createSetting();
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        ids.push((await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: `race-${i}`, key: `tg-race-key-${i}`, settingIds: [setting.id] })).body.keyId);
      }
      const patches = ids.flatMap((id) => [
        stack.admin('PATCH', `/api/key-management/keys/${id}`, { revoked: true }),
        // With settingIds: checked outside the row lock (a second pooled connection inside it ran the pool dry).
        stack.admin('PATCH', `/api/key-management/keys/${id}`, { tags: ['renamed'], settingIds: [setting.id] }),
        stack.admin('PATCH', `/api/key-management/keys/${id}`, { name: 'renamed' }),
      ]);
      expect((await Promise.all(patches)).map((response) => response.status)).toEqual(patches.map(() => 200));
      const rows = await stack.sql<{ revoked: boolean; tags: string[]; name: string }>('SELECT revoked, tags, name FROM api_keys WHERE key_id = ANY($1::uuid[])', [ids]);
      expect(rows).toEqual(ids.map(() => ({ revoked: true, tags: ['renamed'], name: 'renamed' })));
    });

    it('refuses a duplicate key value', async () => {
      const setting = await createSetting();
      const body = { name: 'k', key: 'tg-duplicate-key-1', settingIds: [setting.id] };
      expect((await stack.admin('PUT', '/api/key-management/keys', body)).status).toBe(200);
      expect((await stack.admin('PUT', '/api/key-management/keys', body)).status).toBe(409);
    });

    it('reads setting ids without case, as the uuids they are: one setting named twice is one, and answers show ids as stored', async () => {
      const setting = await createSetting();
      const upper = setting.id.toUpperCase();
      const created = await stack.admin<{ keyId: string; settingIds: string[] }>('PUT', '/api/key-management/keys', {
        name: 'k', key: 'tg-setting-id-case-1', settingIds: [setting.id], settingId: upper,
      });
      expect([created.status, created.body.settingIds]).toEqual([200, [setting.id]]);
      const patched = await stack.admin<{ settingId: string; settingIds: string[] }>('PATCH', `/api/key-management/keys/${created.body.keyId}`, { settingIds: [upper, setting.id] });
      expect([patched.status, patched.body.settingId, patched.body.settingIds]).toEqual([200, setting.id, [setting.id]]);
      const [listed] = (await stack.admin<Array<{ settingIds: string[] }>>('GET', `/api/key-management/keys?keyIds=${created.body.keyId}`)).body;
      expect(listed.settingIds).toEqual(patched.body.settingIds);
    });

    it('lists by tag, tags, provider and keyIds; updates; searches with pagination and count', async () => {
      const setting = await createSetting();
      const make = async (name: string, tags: string[]) =>
        (await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name, key: `tg-${name}-0000`, tags, settingIds: [setting.id] })).body.keyId;
      const alpha = await make('list-alpha', ['list-a']);
      const beta = await make('list-beta', ['list-b']);
      await make('list-gamma', ['list-b', 'list-c']);

      const byTag = await stack.admin<Array<{ keyId: string }>>('GET', '/api/key-management/keys?tag=list-a');
      expect(byTag.body.map((k) => k.keyId)).toEqual([alpha]);
      // Every tag asked for, as the reference matches them: list-beta lacks list-c.
      const byTags = await stack.admin<Array<{ name: string }>>('GET', '/api/key-management/keys?tags=list-b&tags=list-c');
      expect(byTags.body.map((k) => k.name)).toEqual(['list-gamma']);
      const byTagAndTags = await stack.admin<Array<{ name: string }>>('GET', '/api/key-management/keys?tag=list-b&tags=list-c');
      expect(byTagAndTags.body.map((k) => k.name)).toEqual(['list-gamma']);
      // A tag may hold a comma: one query value is one tag.
      await make('comma-tagged', ['list-b,list-c']);
      expect((await stack.admin<Array<{ name: string }>>('GET', '/api/key-management/keys?tags=list-b%2Clist-c')).body.map((k) => k.name)).toEqual(['comma-tagged']);
      const searchTags = await stack.admin<{ keys: Array<{ name: string }> }>('POST', '/api/v2/key-management/keys', { tags: ['list-b', 'list-c'] });
      expect(searchTags.body.keys.map((k) => k.name)).toEqual(['list-gamma']);
      const byIds = await stack.admin<Array<{ keyId: string }>>('GET', `/api/key-management/keys?keyIds=${alpha},${beta}`);
      expect(byIds.body.map((k) => k.keyId).sort()).toEqual([alpha, beta].sort());
      // Ids that are not uuids match nothing (not every key, not a database error).
      const byBadIds = await stack.admin<Array<{ keyId: string }>>('GET', '/api/key-management/keys?keyIds=not-a-uuid');
      expect(byBadIds).toMatchObject({ status: 200, body: [] });
      // A filter given empty is not given (as every other ""), on every listing alike.
      const all = (await stack.admin<Array<{ keyId: string }>>('GET', '/api/key-management/keys')).body.map((k) => k.keyId);
      expect((await stack.admin<Array<{ keyId: string }>>('GET', '/api/key-management/keys?keyIds=')).body.map((k) => k.keyId)).toEqual(all);
      expect((await stack.admin<Array<{ keyId: string }>>('GET', '/api/key-management/keys?keyIds=&tags=')).body.map((k) => k.keyId)).toEqual(all);
      const settings = (await stack.admin<Array<{ id: string }>>('GET', '/api/provider-settings')).body.map((p) => p.id);
      expect(settings.length).toBeGreaterThan(0);
      expect((await stack.admin<Array<{ id: string }>>('GET', '/api/provider-settings?ids=')).body.map((p) => p.id)).toEqual(settings);
      const searchBadIds = await stack.admin<{ keys: unknown[] }>('POST', '/api/v2/key-management/keys', { keyIds: ['not-a-uuid'] });
      expect(searchBadIds.status).toBe(200);
      expect(searchBadIds.body.keys).toEqual([]);
      const byProvider = await stack.admin<Array<{ keyId: string }>>('GET', '/api/key-management/keys?provider=anthropic');
      expect(byProvider.body).toEqual([]);

      const updated = await stack.admin<Record<string, unknown>>('PATCH', `/api/key-management/keys/${beta}`, {
        revoked: true,
        revokedReason: 'semester over',
        tags: ['list-b', 'archived'],
      });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ keyId: beta, revoked: true, revokedReason: 'semester over', tags: ['list-b', 'archived'] });
      expect((await stack.admin('PATCH', `/api/key-management/keys/${beta}`, { key: 'new-value-123' })).status).toBe(400);

      const page = await stack.admin<{ keys: Array<{ name: string }>; count: number }>('POST', '/api/v2/key-management/keys', {
        name: 'list-',
        order: 'desc',
        limit: 2,
        offset: 0,
        returnCount: true,
      });
      expect(page.status).toBe(200);
      expect(page.body.count).toBe(3);
      expect(page.body.keys.map((k) => k.name)).toEqual(['list-gamma', 'list-beta']);
      const revoked = await stack.admin<{ keys: Array<{ name: string }>; count?: number }>('POST', '/api/v2/key-management/keys', {
        name: 'list-',
        revoked: true,
      });
      expect(revoked.body.keys.map((k) => k.name)).toEqual(['list-beta']);
      expect(revoked.body.count).toBeUndefined();
      // Pagination past what the database takes, or past the documented page size: 400s, not 500s.
      for (const paging of [{ offset: 1e20 }, { offset: Number.MAX_SAFE_INTEGER + 1 }, { limit: 1001 }]) {
        const response = await stack.admin<{ detail: string }>('POST', '/api/v2/key-management/keys', { name: 'list-', ...paging });
        expect([paging, response.status]).toEqual([paging, 400]);
      }
    });
  });

  describe('events', () => {
    it('requires start and end with keyIds', async () => {
      const response = await stack.admin<{ detail: string }>('GET', '/api/events?keyIds=00000000-0000-4000-8000-000000000000');
      expect(response.status).toBe(400);
      expect(response.body.detail).toContain('start');
    });
  });
});

describe('a provider setting that cannot be decrypted (e2e)', () => {
  let stack: TestStack;
  let replica: GatewayProcess | null = null;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await replica?.stop();
    await stack?.close();
  });

  it('is left out of the snapshot (and logged), not every setting with it: a new replica still serves the other keys', async () => {
    const upstream = new FakeOpenAI();
    await upstream.start();
    try {
      const good = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
      const broken = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-other' } });
      expect((await stack.admin('PUT', '/api/key-management/keys', { name: 'k', key: 'tg-survives-bad-setting', settingIds: [good.body.id] })).status).toBe(200);
      // As if written under another ENCRYPTION_KEY (a restored backup).
      await stack.sql("UPDATE provider_settings SET credentials_ciphertext = 'v1.garbage' WHERE id = $1", [broken.body.id]);
      replica = await spawnGateway(stack.replicaEnv);
      const response = await fetch(`${replica.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer tg-survives-bad-setting', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(response.status).toBe(200);
      expect(replica.process.lines.join('\n')).toContain('provider setting cannot be read');
      // A key whose only setting is the unreadable one gets the server fault it is, not a 400
      // telling its client the key has no provider setting.
      expect((await stack.admin('PUT', '/api/key-management/keys', { name: 'k2', key: 'tg-on-bad-setting', settingIds: [broken.body.id] })).status).toBe(200);
      const unreadable = await eventually(async () => {
        const answer = await fetch(`${replica!.proxyUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: 'Bearer tg-on-bad-setting', 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
        });
        return answer.status === 401 ? undefined : answer;
      }, 5_000, 'the new key on the replica');
      expect(unreadable.status).toBe(500);
      expect(await unreadable.json()).toEqual({ error: { message: expect.stringContaining("cannot read this key's provider setting"), type: 'api_error', param: null, code: 'provider_setting_unreadable' } });
      // One unreadable setting among readable ones is that setting's fault: the replica stays ready.
      expect((await fetch(`${replica.proxyUrl}/health/ready`)).status).toBe(200);
      // Repaired by entering credentials again; a patch without them says what is missing.
      const incomplete = await stack.admin<{ detail: string }>('PATCH', `/api/provider-settings/${broken.body.id}`, { setting: { url: upstream.baseUrl } });
      expect(incomplete.status).toBe(400);
      expect(incomplete.body.detail).toContain('apiKey');
      expect((await stack.admin('PATCH', `/api/provider-settings/${broken.body.id}`, { setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } })).status).toBe(200);
      const [row] = await stack.sql<{ credentials_ciphertext: string }>('SELECT credentials_ciphertext FROM provider_settings WHERE id = $1', [broken.body.id]);
      expect(row.credentials_ciphertext).not.toBe('v1.garbage');
    } finally {
      await upstream.stop();
    }
  });

  it('a replica started with another ENCRYPTION_KEY, which decrypts no setting, is not ready: the rollout stops there', async () => {
    expect((await stack.admin('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret' } })).status).toBe(200);
    const mistyped = await spawnGateway({ ...stack.replicaEnv, ENCRYPTION_KEY: randomBytes(32).toString('hex') });
    try {
      const ready = await fetch(`${mistyped.proxyUrl}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'unavailable', checks: { postgres: 'ok', snapshot: 'ok', credentials: 'undecryptable' } });
    } finally {
      await mistyped.stop();
    }
  });

  it('a replica whose first snapshot load failed is not ready until a resync succeeds', async () => {
    // The keys table stays locked while the replica starts: its snapshot load times out.
    const locker = new Client({ connectionString: stack.databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE');
    let late: GatewayProcess | null = null;
    try {
      const databaseUrl = new URL(stack.replicaEnv.DATABASE_URL);
      databaseUrl.searchParams.set('options', '-c lock_timeout=300');
      late = await spawnGateway({ ...stack.replicaEnv, DATABASE_URL: databaseUrl.toString(), CONFIG_POLL_INTERVAL_MS: '300' });
      const pending = await fetch(`${late.adminUrl}/health/ready`);
      expect(pending.status).toBe(503);
      expect(await pending.json()).toMatchObject({ status: 'unavailable', checks: { postgres: 'ok', snapshot: 'pending' } });
      await locker.query('COMMIT');
      const replica = late;
      await eventually(async () => ((await fetch(`${replica.adminUrl}/health/ready`)).status === 200 ? true : undefined), 10_000, 'the replica ready');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await late?.stop();
    }
  });
});
