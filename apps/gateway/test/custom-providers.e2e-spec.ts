import { estimateTokens } from '@tollgate/reporting';
import { ACME_SECRET, FakeCustomProvider } from './support/fake-custom-provider';
import { eventFor } from './support/provider-e2e';
import { TestStack, eventually, startTestStack } from './support/test-stack';

const CLIENT_KEY = 'tg-custom-provider-client-key';
const OTHER_SECRET = 'other-provider-secret';

interface ProviderBody {
  id: string;
  provider: string;
  created_at: number;
  updated_at: number;
  authentication_param: string;
  route_configs: Array<Record<string, unknown>>;
}

interface Problem {
  status: number;
  detail: string;
}

const acmeRoute = (origin: string, overrides: Record<string, unknown> = {}) => ({
  path: '/generate',
  target_url: `${origin}/v2/generate`,
  model_location: 'modelName',
  request_prompt_location: 'input.turns.#.text',
  response_completion_location: 'result.outputs.#.text',
  stream_location: 'options.streaming',
  stream_end_word: '<END>',
  stream_response_completion_location: 'token.text',
  stream_max_empty_messages: 3,
  ...overrides,
});

const acmeBody = (modelName: string, streaming = false) => ({
  modelName,
  input: { turns: [{ speaker: 'user', text: 'Tell me a joke' }, { speaker: 'user', text: 'Make it short' }] },
  options: { streaming, temperature: 0.2 },
});
const PROMPT = 'Tell me a joke\nMake it short';

describe('Custom providers (e2e): admin API and the /api/custom/providers/:provider/* proxy', () => {
  let stack: TestStack;
  let upstream: FakeCustomProvider;
  let acme: ProviderBody;
  let keyId: string;

  beforeAll(async () => {
    upstream = new FakeCustomProvider();
    await upstream.start();
    stack = await startTestStack();
    const created = await stack.admin<ProviderBody>('POST', '/api/custom/providers', {
      provider: 'Acme',
      route_configs: [acmeRoute(upstream.origin)],
      authentication_param: 'X-Acme-Key',
    });
    expect(created.status).toBe(200);
    acme = created.body;
    // "other" reaches the same fake with its own credential and the default Authorization: Bearer.
    const other = await stack.admin('POST', '/api/custom/providers', {
      provider: 'other',
      route_configs: [acmeRoute(upstream.origin, { path: '/v1/chat', target_url: `${upstream.origin}/v2/other`, stream_location: '', stream_response_completion_location: '', stream_end_word: '' })],
    });
    expect(other.status).toBe(200);
    const acmeSetting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'custom', name: 'acme', setting: { apiKey: ACME_SECRET } });
    const otherSetting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'custom', name: 'other', setting: { apiKey: OTHER_SECRET } });
    const key = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', {
      name: 'custom e2e',
      key: CLIENT_KEY,
      tags: ['custom'],
      settingIds: [acmeSetting.body.id, otherSetting.body.id],
      shouldLogRequest: true,
      shouldLogResponse: true,
    });
    keyId = key.body.keyId;
  });

  afterAll(async () => {
    await stack?.close();
    await upstream?.stop();
  });

  const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${stack.proxyUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  describe('admin API', () => {
    it('creates with the documented fields (name and header lower-cased, optional stream fields defaulted)', () => {
      expect(acme).toMatchObject({ provider: 'acme', authentication_param: 'x-acme-key', route_configs: [acmeRoute(upstream.origin)] });
      expect(acme.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof acme.created_at).toBe('number');
      expect(typeof acme.updated_at).toBe('number');
    });

    it('lists custom providers', async () => {
      const listed = await stack.admin<ProviderBody[]>('GET', '/api/custom/providers');
      expect(listed.status).toBe(200);
      expect(listed.body.map((p) => p.provider)).toEqual(expect.arrayContaining(['acme', 'other']));
      const other = listed.body.find((p) => p.provider === 'other')!;
      expect(other.authentication_param).toBe('');
      expect(other.route_configs[0]).toMatchObject({ stream_location: '', stream_end_word: '', stream_max_empty_messages: 3 });
    });

    it('validates: names, routes, locations, fields, duplicates', async () => {
      const cases: Array<[unknown, number, string]> = [
        [{ provider: 'x1', route_configs: [] }, 400, 'route_configs'],
        [{ provider: 'x2' }, 400, 'route_configs'],
        [{ route_configs: [acmeRoute(upstream.origin)] }, 400, 'provider'],
        [{ provider: 'has space', route_configs: [acmeRoute(upstream.origin)] }, 400, 'provider'],
        [{ provider: 'openai', route_configs: [acmeRoute(upstream.origin)] }, 400, 'built-in'],
        [{ provider: 'x3', route_configs: [acmeRoute(upstream.origin, { path: 'generate' })] }, 400, 'route_configs[0].path'],
        [{ provider: 'x4', route_configs: [acmeRoute(upstream.origin), acmeRoute(upstream.origin)] }, 400, 'route_configs[1].path'],
        [{ provider: 'x5', route_configs: [acmeRoute(upstream.origin, { model_location: '' })] }, 400, 'model_location'],
        [{ provider: 'x6', route_configs: [acmeRoute(upstream.origin, { response_completion_location: 'result.#(x==1).text' })] }, 400, 'not supported'],
        [{ provider: 'x7', route_configs: [acmeRoute(upstream.origin, { stream_response_completion_location: '' })] }, 400, 'stream_response_completion_location'],
        [{ provider: 'x8', route_configs: [acmeRoute(upstream.origin, { stream_max_empty_messages: -1 })] }, 400, 'stream_max_empty_messages'],
        [{ provider: 'x9', route_configs: [acmeRoute(upstream.origin, { bogus: 1 })] }, 400, 'bogus'],
        [{ provider: 'x10', route_configs: [acmeRoute(upstream.origin)], authentication_param: 'content-length' }, 400, 'authentication_param'],
        [{ provider: 'x11', route_configs: [acmeRoute(upstream.origin)], authentication_param: 'bad header' }, 400, 'authentication_param'],
        [{ provider: 'x12', route_configs: [acmeRoute(upstream.origin, { target_url: 'not a url' })] }, 400, 'route_configs[0].target_url is not allowed: the upstream URL is not a valid absolute URL'],
        [{ provider: 'x13', route_configs: [acmeRoute(upstream.origin, { target_url: 'http://127.0.0.2:9/x' })] }, 400, 'loopback'],
        [{ provider: 'x14', route_configs: [[]] }, 400, 'route_configs'],
        [{ provider: 'x15', route_configs: [acmeRoute(upstream.origin, { stream_end_word: 'END\u0000' })] }, 400, 'NUL'],
        // Matched against the still-encoded request path, which can never hold "ü".
        [{ provider: 'x16', route_configs: [acmeRoute(upstream.origin, { path: '/ü' })] }, 400, 'route_configs[0].path must be written as it appears in a request URL'],
        [{ provider: 'ACME', route_configs: [acmeRoute(upstream.origin)] }, 409, 'already exists'],
      ];
      for (const [body, status, mentioned] of cases) {
        const response = await stack.admin<Problem & { instance: string }>('POST', '/api/custom/providers', body);
        expect({ body, status: response.status }).toEqual({ body, status });
        expect(response.body.detail).toContain(mentioned);
        expect(response.body.instance).toBe('/api/custom/providers');
      }
      const names = (await stack.admin<ProviderBody[]>('GET', '/api/custom/providers')).body.map((p) => p.provider);
      expect(names.sort()).toEqual(['acme', 'other']);
    });

    it('PATCH: 404 for an unknown id, 400 for a malformed one, the name cannot change', async () => {
      expect((await stack.admin('PATCH', '/api/custom/providers/00000000-0000-4000-8000-000000000000', { authentication_param: 'x-k' })).status).toBe(404);
      expect((await stack.admin('PATCH', '/api/custom/providers/not-a-uuid', { authentication_param: 'x-k' })).status).toBe(400);
      const renamed = await stack.admin<Problem>('PATCH', `/api/custom/providers/${acme.id}`, { provider: 'renamed' });
      expect(renamed.status).toBe(400);
      expect(renamed.body.detail).toContain('provider');
    });

    it('concurrent PATCHes of different fields keep each other\'s changes', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const created = await stack.admin<ProviderBody>('POST', '/api/custom/providers', { provider: `race-${i}`, route_configs: [acmeRoute(upstream.origin, { path: '/a' })] });
        expect(created.status).toBe(200);
        ids.push(created.body.id);
      }
      for (let round = 0; round < 10; round++) {
        await Promise.all(ids.map((id) => stack.admin('PATCH', `/api/custom/providers/${id}`, { route_configs: [acmeRoute(upstream.origin, { path: '/a' })], authentication_param: '' })));
        const patches = ids.flatMap((id) => [
          stack.admin('PATCH', `/api/custom/providers/${id}`, { route_configs: [acmeRoute(upstream.origin, { path: `/b${round}` })] }),
          stack.admin('PATCH', `/api/custom/providers/${id}`, { authentication_param: `x-key-${round}` }),
        ]);
        expect((await Promise.all(patches)).map((response) => response.status)).toEqual(patches.map(() => 200));
        const rows = await stack.sql<{ id: string; authentication_param: string | null; route_configs: Array<{ path: string }> }>(
          'SELECT id, authentication_param, route_configs FROM custom_providers WHERE id = ANY($1::uuid[]) ORDER BY id',
          [ids],
        );
        expect(rows.map((row) => [row.authentication_param, row.route_configs.map((route) => route.path)])).toEqual(ids.map(() => [`x-key-${round}`, [`/b${round}`]]));
      }
    });

    it('is served on the admin port only, and requires the admin key', async () => {
      expect((await fetch(`${stack.proxyUrl}/api/custom/providers`, { headers: { 'x-api-key': stack.adminKey } })).status).toBe(404);
      expect((await fetch(`${stack.adminUrl}/api/custom/providers`)).status).toBe(401);
    });

    it('documents every field in Swagger', async () => {
      const spec = (await (await fetch(`${stack.adminUrl}/docs-json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
        components: { schemas: Record<string, { properties: Record<string, { description?: string }> }> };
      };
      expect(Object.keys(spec.paths['/api/custom/providers'])).toEqual(expect.arrayContaining(['get', 'post']));
      expect(Object.keys(spec.paths['/api/custom/providers/{id}'])).toEqual(['patch']);
      for (const schema of ['RouteConfigRequest', 'CreateCustomProviderRequest', 'UpdateCustomProviderRequest', 'CustomProviderResponse', 'RouteConfigResponse']) {
        for (const [name, property] of Object.entries(spec.components.schemas[schema].properties)) {
          expect({ schema, name, described: Boolean(property.description) }).toEqual({ schema, name, described: true });
        }
      }
      expect(JSON.stringify(spec.paths)).not.toContain('/api/custom/providers/{provider}');
    });
  });

  describe('proxy', () => {
    it('forwards the JSON body to target_url with the credential header per authentication_param; relays the answer; counts tokens at the locations', async () => {
      const response = await call('/api/custom/providers/acme/generate', acmeBody('acme-large'), { 'x-custom-event-id': 'custom-1', cookie: 'session=1', 'x-forwarded-host': 'evil.example' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('x-upstream-request-id')).toBe('acme-req-1');
      expect(await response.json()).toEqual({
        result: { outputs: [{ text: 'Why did the chicken cross the road?' }, { text: 'To get to the other side.' }] },
        meta: { requestId: 'acme-1', model: 'acme-large' },
      });

      const received = upstream.lastRequest();
      expect(received.method).toBe('POST');
      expect(received.path).toBe('/v2/generate');
      expect(received.body).toEqual(acmeBody('acme-large'));
      expect(received.headers['x-acme-key']).toBe(ACME_SECRET);
      expect(received.headers.authorization).toBeUndefined();
      expect(received.headers.cookie).toBeUndefined();
      expect(received.headers['x-forwarded-host']).toBeUndefined();
      expect(JSON.stringify(received.headers)).not.toContain(CLIENT_KEY);

      const event = await eventFor(stack, 'custom-1');
      expect(event).toMatchObject({
        id: response.headers.get('x-request-id'),
        key_id: keyId,
        provider: 'acme',
        model: 'acme-large',
        status: 200,
        stream: false,
        path: '/api/custom/providers/acme/generate',
        method: 'POST',
        error_code: null,
        token_count_estimated: true,
        prompt_token_count: estimateTokens(PROMPT),
        completion_token_count: estimateTokens('Why did the chicken cross the road?\nTo get to the other side.'),
      });
      expect(event.prompt_token_count).toBeGreaterThan(0);
      expect(event.request).toEqual(acmeBody('acme-large'));
      expect(event.response).toMatchObject({ meta: { requestId: 'acme-1' } });
      expect(stack.logs.join('\n')).not.toContain(ACME_SECRET);
    });

    it('streams event by event, verbatim, ends at stream_end_word and counts the streamed text', async () => {
      const response = await call('/api/custom/providers/acme/generate', acmeBody('acme-large', true), { 'x-custom-event-id': 'custom-stream-1' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const text = await response.text();
      expect(text).toBe(
        'event: token\ndata: {"token":{"text":"Knock, "}}\n\n' +
          ': keep-alive\n\n' +
          'event: token\ndata: {"token":{"text":"knock."}}\n\n' +
          'event: token\ndata: {"token":{"text":" Who is there?"}}\n\n' +
          'event: done\ndata: <END>\n\n',
      );
      expect(upstream.lastRequest().headers.accept).toBe('text/event-stream');

      const event = await eventFor(stack, 'custom-stream-1');
      expect(event).toMatchObject({
        provider: 'acme',
        model: 'acme-large',
        status: 200,
        stream: true,
        error_code: null,
        token_count_estimated: true,
        prompt_token_count: estimateTokens(PROMPT),
        completion_token_count: estimateTokens('Knock, knock. Who is there?'),
      });
      expect(String(event.response)).toContain('data: <END>');
    });

    it('stops reading the upstream after the end word', async () => {
      const started = Date.now();
      const response = await call('/api/custom/providers/acme/generate', acmeBody('acme-linger', true));
      const text = await response.text();
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(text.endsWith('event: done\ndata: <END>\n\n')).toBe(true);
      expect(text).not.toContain('AFTER THE END');
      await eventually(async () => (upstream.closedEarly.includes('acme-linger') ? true : undefined), 5_000, 'the upstream stream to be closed');
    });

    it('cuts a stream with more than stream_max_empty_messages data-less events in a row', async () => {
      const response = await call('/api/custom/providers/acme/generate', acmeBody('acme-empty', true), { 'x-custom-event-id': 'custom-empty' });
      const text = await response.text();
      expect(text.startsWith('event: token\ndata: {"token":{"text":"Hi"}}\n\n: keep-alive\n\n: keep-alive\n\n: keep-alive\n\ndata: {"error":')).toBe(true);
      expect(text).toContain('"code":"too_many_empty_stream_messages"');
      expect(text).not.toContain('<END>');
      const event = await eventFor(stack, 'custom-empty');
      expect(event).toMatchObject({ stream: true, status: 200, error_code: 'too_many_empty_stream_messages', completion_token_count: estimateTokens('Hi') });
    });

    it('records a logged stream whose bytes hold a NUL (Postgres text cannot), without the NUL', async () => {
      const response = await call('/api/custom/providers/acme/generate', acmeBody('acme-nul', true), { 'x-custom-event-id': 'custom-nul' });
      expect(await response.text()).toContain('\u0000');
      const event = await eventFor(stack, 'custom-nul');
      expect(event).toMatchObject({ stream: true, status: 200 });
      expect(String(event.response)).toContain('a NUL byte  in a comment');
    });

    it('uses Authorization: Bearer by default, and each provider only gets its own credential', async () => {
      const response = await call('/api/custom/providers/other/v1/chat', acmeBody('acme-large'), { 'x-custom-event-id': 'other-1' });
      // The fake knows only Acme's key: it refuses the one the gateway sent for "other" (a stored-credential failure, 502).
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ error: { code: 'upstream_auth_error' } });
      const received = upstream.lastRequest();
      expect(received.path).toBe('/v2/other');
      expect(received.headers.authorization).toBe(`Bearer ${OTHER_SECRET}`);
      expect(received.headers['x-acme-key']).toBeUndefined();
      expect(JSON.stringify(received.headers)).not.toContain(ACME_SECRET);
    });

    it('relays provider errors as they are, except a rejected stored credential (502)', async () => {
      const rejected = await call('/api/custom/providers/acme/generate', acmeBody('acme-400'), { 'x-custom-event-id': 'custom-400' });
      expect(rejected.status).toBe(400);
      expect(await rejected.json()).toEqual({ fault: { reason: 'input too long' } });
      expect(await eventFor(stack, 'custom-400')).toMatchObject({ status: 400, error_code: 'upstream_400', prompt_token_count: 0, completion_token_count: 0 });

      for (const refusal of ['acme-401', 'acme-403']) {
        const revoked = await call('/api/custom/providers/acme/generate', acmeBody(refusal));
        expect(revoked.status).toBe(502);
        expect(await revoked.json()).toMatchObject({ error: { code: 'upstream_auth_error', type: 'api_error' } });
      }
    });

    it('an error that quotes the stored credential reaches the client without it', async () => {
      const echoed = await call('/api/custom/providers/acme/generate', acmeBody('acme-echo'));
      expect(echoed.status).toBe(400);
      const text = await echoed.text();
      expect(text).not.toContain(ACME_SECRET);
      expect(JSON.parse(text)).toEqual({ fault: { reason: 'key [redacted] may not use this model' } });
    });

    it('answers OpenAI-shaped 404/400 for unknown providers, unmatched paths, missing settings and bad bodies', async () => {
      const cases: Array<[string, unknown, number, string]> = [
        ['/api/custom/providers/nope/generate', acmeBody('m'), 404, 'not_found'],
        ['/api/custom/providers/acme/unknown', acmeBody('m'), 404, 'not_found'],
        ['/api/custom/providers/acme/generate/extra', acmeBody('m'), 404, 'not_found'],
        ['/api/custom/providers/acme/v2/generate', acmeBody('m'), 404, 'not_found'],
        ['/api/custom/providers/acme/generate', 'just a string', 400, 'invalid_request_error'],
      ];
      const before = upstream.requests.length;
      for (const [path, body, status, code] of cases) {
        const response = await call(path, body);
        expect({ path, status: response.status }).toEqual({ path, status });
        const error = (await response.json()) as { error: { code: string; message: string; type: string } };
        expect(error.error.code).toBe(code);
        expect(typeof error.error.message).toBe('string');
      }
      // A body that is not JSON (bytes the gateway only takes for native uploads) is not JSON to forward.
      for (const contentType of ['application/octet-stream', 'image/png']) {
        const bytes = await fetch(`${stack.proxyUrl}/api/custom/providers/acme/generate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': contentType },
          body: JSON.stringify(acmeBody('m')),
        });
        expect({ contentType, status: bytes.status }).toEqual({ contentType, status: 415 });
        expect(await bytes.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
      }
      expect(upstream.requests.length).toBe(before);
    });

    it('needs a "custom" setting named after the provider among the key\'s settings', async () => {
      const third = await stack.admin('POST', '/api/custom/providers', { provider: 'third', route_configs: [acmeRoute(upstream.origin)] });
      expect(third.status).toBe(200);
      const response = await eventually(async () => {
        const attempt = await call('/api/custom/providers/third/generate', acmeBody('m'));
        return attempt.status === 404 ? undefined : attempt;
      }, 5_000, 'the new provider to reach the proxy');
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'provider_not_configured', message: expect.stringContaining('name "third"') } });
    });

    it('authenticates the client key and keeps the proxy route off the admin port', async () => {
      expect((await call('/api/custom/providers/acme/generate', acmeBody('m'), { authorization: 'Bearer wrong-key' })).status).toBe(401);
      const onAdmin = await fetch(`${stack.adminUrl}/api/custom/providers/acme/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'x-api-key': stack.adminKey, 'content-type': 'application/json' },
        body: JSON.stringify(acmeBody('m')),
      });
      expect(onAdmin.status).toBe(404);
    });

    it('applies PATCHed routes and credential headers on every replica without a restart', async () => {
      const patched = await stack.admin<ProviderBody>('PATCH', `/api/custom/providers/${acme.id}`, {
        route_configs: [acmeRoute(upstream.origin, { path: '/v3/generate' })],
        authentication_param: '',
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ provider: 'acme', authentication_param: '', route_configs: [{ path: '/v3/generate' }] });
      expect(patched.body.updated_at).toBeGreaterThanOrEqual(acme.updated_at);
      await eventually(async () => ((await call('/api/custom/providers/acme/v3/generate', acmeBody('acme-large'))).status === 200 ? true : undefined), 5_000, 'the patched route');
      expect(upstream.lastRequest().headers.authorization).toBe(`Bearer ${ACME_SECRET}`);
      expect((await call('/api/custom/providers/acme/generate', acmeBody('acme-large'))).status).toBe(404);
    });
  });

  describe('billing a route that names no stream locations', () => {
    const QUIET_KEY = 'tg-custom-quiet-budget-key';

    beforeAll(async () => {
      // "quiet" reaches Acme's API but was configured without any stream field.
      const quiet = await stack.admin('POST', '/api/custom/providers', {
        provider: 'quiet',
        route_configs: [
          acmeRoute(upstream.origin, { stream_location: '', stream_response_completion_location: '', stream_end_word: '', stream_max_empty_messages: 0 }),
          // A completion location that matches nothing in Acme's answers.
          acmeRoute(upstream.origin, { path: '/misplaced', response_completion_location: 'result.missing', stream_location: '', stream_response_completion_location: '', stream_end_word: '' }),
        ],
        authentication_param: 'x-acme-key',
      });
      expect(quiet.status).toBe(200);
      // Output at $100 per million tokens: 100,000 of them are $10.
      expect((await stack.admin('PUT', '/api/model-prices', { provider: 'quiet', model: 'acme-large', inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 100 })).status).toBe(200);
      const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'custom', name: 'quiet', setting: { apiKey: ACME_SECRET } });
      const key = await stack.admin('PUT', '/api/key-management/keys', { name: 'quiet budget', key: QUIET_KEY, settingIds: [setting.body.id], costLimitInUsd: 1 });
      expect(key.status).toBe(200);
      await eventually(async () => ((await call('/api/custom/providers/quiet/generate', acmeBody('acme-large'), { authorization: `Bearer ${QUIET_KEY}` })).status === 200 ? true : undefined), 5_000, 'the quiet provider');
    });

    it('counts a stream its upstream sent anyway: each event\'s data read at the response location, else counted whole', async () => {
      const response = await call('/api/custom/providers/quiet/generate', acmeBody('acme-large', true), { authorization: `Bearer ${QUIET_KEY}`, 'x-custom-event-id': 'quiet-stream' });
      expect(response.status).toBe(200);
      const relayed = await response.text();
      expect(relayed).toContain('Who is there?');
      const event = await eventFor(stack, 'quiet-stream');
      // Neither the token events nor the end word hold result.outputs.#.text: their data is what is counted.
      const payloads = ['{"token":{"text":"Knock, "}}', '{"token":{"text":"knock."}}', '{"token":{"text":" Who is there?"}}', '<END>'];
      expect(event).toMatchObject({ provider: 'quiet', stream: true, status: 200, token_count_estimated: true, completion_token_count: estimateTokens(payloads.join('')), price_known: true });
      expect(Number(event.cost_in_usd)).toBeGreaterThan(0);
    });

    it('counts the whole answer when the completion location finds nothing in it, never a free output', async () => {
      const response = await call('/api/custom/providers/quiet/misplaced', acmeBody('acme-large'), { authorization: `Bearer ${QUIET_KEY}`, 'x-custom-event-id': 'quiet-misplaced' });
      expect(response.status).toBe(200);
      const answer = await response.text();
      expect(await eventFor(stack, 'quiet-misplaced')).toMatchObject({ status: 200, token_count_estimated: true, completion_token_count: estimateTokens(answer) });
    });

    it('reserves the output a request allows itself (max_tokens) against the budget', async () => {
      const before = upstream.requests.length;
      const refused = await call('/api/custom/providers/quiet/generate', { ...acmeBody('acme-large'), max_tokens: 100_000 }, { authorization: `Bearer ${QUIET_KEY}` });
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ error: { type: 'insufficient_quota', code: 'cost_limit_exceeded' } });
      expect(upstream.requests.length).toBe(before);
      const small = await call('/api/custom/providers/quiet/generate', { ...acmeBody('acme-large'), max_tokens: 100 }, { authorization: `Bearer ${QUIET_KEY}` });
      expect(small.status).toBe(200);
    });
  });
});
