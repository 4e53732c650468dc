import Anthropic from '@anthropic-ai/sdk';
import { estimateTokens } from '@tollgate/reporting';
import { FAKE_ANTHROPIC_CUT_TEXT, FAKE_ANTHROPIC_KEY, FAKE_ANTHROPIC_USAGE, FakeAnthropic } from './support/fake-anthropic';
import { createKey, createSetting, eventFor, sseDataOf } from './support/provider-e2e';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/**
 * The official @anthropic-ai/sdk with its baseURL set to the gateway's Anthropic prefix: the
 * native Messages API relayed as is (the gateway swaps the credential, reads usage, records the
 * event), errors in Anthropic's shape so the SDK's typed errors work.
 */

const CLIENT_KEY = 'tg-native-anthropic-key';
const BAD_CREDENTIAL_KEY = 'tg-native-anthropic-bad-credential';
const LIMITED_KEY = 'tg-native-anthropic-limited';

/** claude-sonnet-4-6 list price: $3 / $15 per million tokens. */
const CLAUDE_SONNET_4_6 = { input: 3 / 1e6, output: 15 / 1e6 };
/** claude-2.1 list price: $8 / $24 per million tokens. */
const CLAUDE_2_1 = { input: 8 / 1e6, output: 24 / 1e6 };

const WEATHER_TOOL: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('native Anthropic API (e2e, official @anthropic-ai/sdk)', () => {
  let stack: TestStack;
  let anthropic: FakeAnthropic;
  let keyId: string;
  let settingId: string;

  beforeAll(async () => {
    anthropic = new FakeAnthropic();
    await anthropic.start();
    stack = await startTestStack();
    const setting = await createSetting(stack, 'anthropic', { apiKey: FAKE_ANTHROPIC_KEY, url: anthropic.baseUrl });
    settingId = setting;
    keyId = await createKey(stack, CLIENT_KEY, [setting]);
    const bad = await createSetting(stack, 'anthropic', { apiKey: 'sk-ant-revoked', url: anthropic.baseUrl });
    await createKey(stack, BAD_CREDENTIAL_KEY, [bad]);
    const limited = await createSetting(stack, 'anthropic', { apiKey: FAKE_ANTHROPIC_KEY, url: anthropic.baseUrl }, { allowedModels: ['claude-haiku-4-5'] });
    await createKey(stack, LIMITED_KEY, [limited]);
  });

  afterAll(async () => {
    await stack?.close();
    await anthropic?.stop();
  });

  /** The headers of each request the SDK sent, to compare with what the upstream received. */
  const sent: Headers[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    sent.push(new Headers(init?.headers));
    return fetch(input, init);
  };
  const client = (options: { apiKey?: string | null; authToken?: string | null; defaultHeaders?: Record<string, string> } = {}) =>
    new Anthropic({ apiKey: CLIENT_KEY, baseURL: `${stack.proxyUrl}/api/providers/anthropic`, maxRetries: 0, fetch: recordingFetch, ...options });
  const withId = (customId: string, headers: Record<string, string> = {}) => ({ headers: { 'x-custom-event-id': customId, ...headers } });
  const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error as InstanceType<typeof Anthropic.APIError>);

  it('messages.create: relayed as is, the stored key swapped in, anthropic-version and anthropic-beta forwarded unchanged', async () => {
    const request: Anthropic.MessageCreateParamsNonStreaming = {
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      system: 'Be nice.',
      messages: [{ role: 'user', content: 'Hi' }],
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
    };
    const { data: message, response } = await client()
      .messages.create(request, withId('native-messages', { 'anthropic-beta': 'prompt-caching-2024-07-31,token-efficient-tools-2025-02-19' }))
      .withResponse();
    // Anthropic's own request id reaches the SDK (the gateway's is x-request-id).
    expect(response.headers.get('request-id')).toBe('req_fake01');
    expect(message).toMatchObject({
      id: 'msg_fake01',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'Hello! (system: Be nice.)' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 6 },
    });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const received = anthropic.lastRequest();
    expect(received.path).toBe('/v1/messages');
    expect(received.body).toEqual(request);
    expect(received.headers['x-api-key']).toBe(FAKE_ANTHROPIC_KEY);
    // Whatever version the SDK pins (not the gateway's default) reaches Anthropic unchanged.
    const sdkVersion = sent[sent.length - 1].get('anthropic-version');
    expect(sdkVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(received.headers['anthropic-version']).toBe(sdkVersion);
    expect(received.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31,token-efficient-tools-2025-02-19');
    expect(received.headers.authorization).toBeUndefined();
    expect(JSON.stringify(received.headers)).not.toContain(CLIENT_KEY);

    const event = await eventFor(stack, 'native-messages');
    expect(event).toMatchObject({
      id: response.headers.get('x-request-id'),
      key_id: keyId,
      provider: 'anthropic',
      model: 'claude-sonnet-4-6',
      path: '/api/providers/anthropic/v1/messages',
      status: 200,
      stream: false,
      user_id: null,
      prompt_token_count: FAKE_ANTHROPIC_USAGE.text.input_tokens,
      completion_token_count: FAKE_ANTHROPIC_USAGE.text.output_tokens,
      token_count_estimated: false,
      price_known: true,
      error_code: null,
    });
    expect(event.cost_in_usd).toBeCloseTo(12 * CLAUDE_SONNET_4_6.input + 6 * CLAUDE_SONNET_4_6.output, 12);
  });

  it('accepts the key as Authorization: Bearer, and a pinned anthropic-version goes through unchanged', async () => {
    const message = await client({ apiKey: null, authToken: CLIENT_KEY, defaultHeaders: { 'anthropic-version': '2023-01-01' } }).messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Hello!' }]);
    const received = anthropic.lastRequest();
    expect(received.headers['anthropic-version']).toBe('2023-01-01');
    expect(received.headers['x-api-key']).toBe(FAKE_ANTHROPIC_KEY);
    expect(received.headers.authorization).toBeUndefined();
  });

  it('messages.stream: Anthropic\'s events relayed in order, the SDK builds the message, usage from message_start + message_delta', async () => {
    const stream = client().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 128, messages: [{ role: 'user', content: 'Hi' }] }, withId('native-stream'));
    const types: string[] = [];
    const texts: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    stream.on('text', (text) => texts.push(text));
    const message = await stream.finalMessage();
    expect(texts.join('')).toBe('Hello!');
    expect(texts.length).toBeGreaterThan(1);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types).toContain('content_block_delta');
    expect(message).toMatchObject({ id: 'msg_fake02', content: [{ type: 'text', text: 'Hello!' }], stop_reason: 'end_turn', usage: { input_tokens: 11, output_tokens: 4 } });
    expect(anthropic.lastRequest().body).toEqual({ model: 'claude-sonnet-4-6', max_tokens: 128, messages: [{ role: 'user', content: 'Hi' }], stream: true });

    const event = await eventFor(stack, 'native-stream');
    expect(event).toMatchObject({ stream: true, status: 200, provider: 'anthropic', model: 'claude-sonnet-4-6', prompt_token_count: 11, completion_token_count: 4, token_count_estimated: false, error_code: null });
    expect(event.cost_in_usd).toBeCloseTo(11 * CLAUDE_SONNET_4_6.input + 4 * CLAUDE_SONNET_4_6.output, 12);
    expect(String(event.response)).toContain('event: message_stop');
  });

  it('tool use, streamed: the SDK assembles input_json_delta fragments into the tool input', async () => {
    const stream = client().messages.stream(
      { model: 'claude-sonnet-4-6', max_tokens: 256, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'What is the weather in Paris?' }] },
      withId('native-stream-tools'),
    );
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toHaveLength(2);
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Let me check the weather.' });
    expect(message.content[1]).toMatchObject({ type: 'tool_use', id: 'toolu_fake02', name: 'get_weather', input: { city: 'Paris' } });
    expect(await eventFor(stack, 'native-stream-tools')).toMatchObject({ prompt_token_count: 340, completion_token_count: 38 });
  });

  it('beta.messages: the betas travel as anthropic-beta; a query string is kept', async () => {
    await client().beta.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }], betas: ['context-1m-2025-08-07'] });
    expect(anthropic.lastRequest().headers['anthropic-beta']).toBe('context-1m-2025-08-07');

    const response = await fetch(`${stack.proxyUrl}/api/providers/anthropic/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(response.status).toBe(200);
    expect(anthropic.lastRequest()).toMatchObject({ path: '/v1/messages', query: 'beta=true' });
  });

  it('a budget reserves a prompt that asks for a one-hour cache at twice the input price (five-minute writes: 1.25 times)', async () => {
    await createKey(stack, 'tg-native-hour-cache', [settingId], { costLimitInUsd: 0.1 });
    // About 20,000 prompt tokens of claude-sonnet-4-6 ($3 / M input): written for five minutes
    // they cost about $0.08, for an hour $0.13, over the $0.10 limit.
    const document = 'hello '.repeat(20_000);
    const ask = (ttl?: '1h') =>
      failure(
        client({ apiKey: 'tg-native-hour-cache' }).messages.create({
          model: 'claude-sonnet-4-6',
          max_tokens: 8,
          system: [{ type: 'text', text: document, cache_control: { type: 'ephemeral', ...(ttl ? { ttl } : {}) } }],
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      );
    expect(await ask('1h')).toMatchObject({ status: 429 });
    expect(await ask()).toBeNull();
  });

  describe('errors in Anthropic\'s shape', () => {
    it('a wrong gateway key: 401 authentication_error, the SDK\'s AuthenticationError; nothing sent upstream', async () => {
      const count = anthropic.requests.length;
      const error = await failure(client({ apiKey: 'tg-not-a-key' }).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }));
      expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
      expect(error).toMatchObject({ status: 401, error: { type: 'error', error: { type: 'authentication_error', message: expect.any(String) } } });
      expect(anthropic.requests.length).toBe(count);

      const missing = await fetch(`${stack.proxyUrl}/api/providers/anthropic/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });
    });

    it('upstream 429: RateLimitError with Anthropic\'s body and retry-after', async () => {
      const error = await failure(client().messages.create({ model: 'fail-429', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }, withId('native-429')));
      expect(error).toBeInstanceOf(Anthropic.RateLimitError);
      expect(error).toMatchObject({ status: 429, error: { type: 'error', error: { type: 'rate_limit_error', message: 'Simulated 429' } } });
      expect(error!.headers?.get('retry-after')).toBe('7');
      expect(error!.requestID).toBe('req_fake01');
      expect(await eventFor(stack, 'native-429')).toMatchObject({ status: 429, error_code: 'rate_limit_error', provider: 'anthropic' });
    });

    it('upstream 529 stays 529 overloaded_error on the native path (the SDK\'s OverloadedError)', async () => {
      const error = await failure(client().messages.create({ model: 'fail-529', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }, withId('native-529')));
      expect(error).toMatchObject({ status: 529, error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
      expect(error).toBeInstanceOf(Anthropic.OverloadedError);
      expect(await eventFor(stack, 'native-529')).toMatchObject({ status: 529, error_code: 'overloaded_error' });
    });

    it('a non-JSON error page from in front of Anthropic keeps its status, wrapped in Anthropic\'s shape', async () => {
      const error = await failure(client().messages.create({ model: 'html-502', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }));
      expect(error).toBeInstanceOf(Anthropic.InternalServerError);
      expect(error).toMatchObject({ status: 502, error: { type: 'error', error: { type: 'api_error', message: expect.stringContaining('The upstream provider answered 502') } } });
      expect(JSON.stringify(error)).not.toContain('Bad Gateway');
    });

    it('upstream 400 keeps Anthropic\'s invalid_request_error', async () => {
      const error = await failure(client().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'system' as 'user', content: 'Hi' }] }));
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect(error).toMatchObject({ status: 400, error: { error: { type: 'invalid_request_error', message: expect.stringContaining('messages.0.role') } } });
    });

    it("an account out of credit (Anthropic's 400 saying the credit balance is too low) reaches the SDK as Anthropic sent it, and warns the operator", async () => {
      // A setting of its own: the warning is once per interval per setting.
      const setting = await createSetting(stack, 'anthropic', { apiKey: FAKE_ANTHROPIC_KEY, url: anthropic.baseUrl }, { name: 'out of credit' });
      await createKey(stack, 'tg-native-anthropic-no-credit', [setting]);
      const error = await failure(client({ apiKey: 'tg-native-anthropic-no-credit' }).messages.create({ model: 'no-credit', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }, withId('native-no-credit')));
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect(error!.error).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.' },
        request_id: 'req_fake01',
      });
      expect(await eventFor(stack, 'native-no-credit')).toMatchObject({ status: 400, error_code: 'invalid_request_error' });
      const warnings = () => stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'upstream provider failing' && line.settingId === setting);
      await eventually(async () => (warnings().length > 0 ? true : undefined), 2_000, 'the warning');
      expect(warnings()).toEqual([expect.objectContaining({ level: 40, provider: 'anthropic', code: 'invalid_request_error', status: 400 })]);
    });

    it('a refused stored credential: 502 in Anthropic\'s shape, never a 401 the caller would blame on their key', async () => {
      const error = await failure(client({ apiKey: BAD_CREDENTIAL_KEY }).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }, withId('native-bad-credential')));
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect(error).not.toBeInstanceOf(Anthropic.AuthenticationError);
      expect(error).toMatchObject({ status: 502, error: { type: 'error', error: { type: 'api_error', message: expect.stringContaining('credential') } } });
      expect(await eventFor(stack, 'native-bad-credential')).toMatchObject({ status: 502, error_code: 'upstream_auth_error' });
    });

    it('gateway refusals (a model outside the allow-list, bad JSON) are Anthropic-shaped too', async () => {
      const refused = await failure(client({ apiKey: LIMITED_KEY }).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }));
      expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
      expect(refused).toMatchObject({ status: 403, error: { type: 'error', error: { type: 'permission_error' } } });

      const badJson = await fetch(`${stack.proxyUrl}/api/providers/anthropic/v1/messages`, { method: 'POST', headers: { 'x-api-key': CLIENT_KEY, 'content-type': 'application/json' }, body: '{"model":' });
      expect(badJson.status).toBe(400);
      expect(await badJson.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) } });
    });

    it('an in-stream error event reaches the SDK as an error and is recorded on the event', async () => {
      const stream = client().messages.stream({ model: 'stream-error', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }, withId('native-stream-error'));
      const error = await stream.finalMessage().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect(String((error as Error).message)).toContain('Overloaded');
      expect(await eventFor(stack, 'native-stream-error')).toMatchObject({ stream: true, status: 200, error_code: 'overloaded_error', prompt_token_count: 11 });
    });

    it('a stream cut before its message_delta is billed for the text it generated', async () => {
      const stream = client().messages.stream({ model: 'stream-cut', max_tokens: 200, messages: [{ role: 'user', content: 'Hi' }] }, withId('native-stream-cut'));
      expect(await stream.finalMessage().then(() => null, (e: unknown) => e)).toBeInstanceOf(Anthropic.APIError);
      expect(await eventFor(stack, 'native-stream-cut')).toMatchObject({
        error_code: 'overloaded_error',
        prompt_token_count: FAKE_ANTHROPIC_USAGE.stream.input_tokens,
        completion_token_count: estimateTokens(FAKE_ANTHROPIC_CUT_TEXT),
        token_count_estimated: true,
      });
    });

    it('the message ends at message_stop: an upstream that resets the connection or holds it open afterwards changes nothing', async () => {
      for (const model of ['stream-reset', 'stream-linger']) {
        const message = await client().messages.stream({ model, max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }, withId(`native-${model}`)).finalMessage();
        expect([model, message.content, message.stop_reason]).toEqual([model, [{ type: 'text', text: 'Hello!' }], 'end_turn']);
        const event = await eventFor(stack, `native-${model}`);
        expect([model, event.status, event.error_code]).toEqual([model, 200, null]);
      }
    });

    it('a body that ends before message_stop reaches the SDK as an error event, and the event says so', async () => {
      const stream = client().messages.stream({ model: 'stream-truncated', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }, withId('native-truncated'));
      const error = await stream.finalMessage().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect(String((error as Error).message)).toContain('before the answer was complete');
      expect(await eventFor(stack, 'native-truncated')).toMatchObject({ stream: true, status: 200, error_code: 'upstream_unreachable' });
    });
  });

  it('legacy /v1/complete: relayed, tokens estimated (the API reports none), priced', async () => {
    const response = await fetch(`${stack.proxyUrl}/api/providers/anthropic/v1/complete`, {
      method: 'POST',
      headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-custom-event-id': 'native-complete' },
      body: JSON.stringify({ model: 'claude-2.1', prompt: '\n\nHuman: Hi\n\nAssistant:', max_tokens_to_sample: 50 }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ type: 'completion', id: 'compl_fake01', completion: ' Hello there!', stop_reason: 'stop_sequence', model: 'claude-2.1' });
    expect(anthropic.lastRequest()).toMatchObject({ path: '/v1/complete', body: { model: 'claude-2.1', max_tokens_to_sample: 50 } });
    const event = await eventFor(stack, 'native-complete');
    expect(event).toMatchObject({ provider: 'anthropic', model: 'claude-2.1', path: '/api/providers/anthropic/v1/complete', token_count_estimated: true, price_known: true });
    expect(event.prompt_token_count).toBeGreaterThan(0);
    expect(event.completion_token_count).toBeGreaterThan(0);
    expect(event.cost_in_usd).toBeCloseTo(event.prompt_token_count * CLAUDE_2_1.input + event.completion_token_count * CLAUDE_2_1.output, 12);
  });

  it("a browser page (the SDK with dangerouslyAllowBrowser) may read Anthropic's request-id, which the SDK reports as the request's id", async () => {
    const headers = { origin: 'https://app.example.com', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'anthropic-dangerous-direct-browser-access': 'true', 'content-type': 'application/json' };
    for (const stream of [false, true]) {
      const response = await fetch(`${stack.proxyUrl}/api/providers/anthropic/v1/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, stream, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      await response.text();
      expect([stream, response.headers.get('request-id')]).toEqual([stream, 'req_fake01']);
      // Without it in the exposed headers, a browser hides it from the page (and the SDK).
      const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(',').map((name) => name.trim());
      expect([stream, exposed]).toEqual([stream, expect.arrayContaining(['request-id', 'x-request-id'])]);
    }
  });

  it('raw SSE on the wire keeps Anthropic\'s named events', async () => {
    const response = await fetch(`${stack.proxyUrl}/api/providers/anthropic/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text.startsWith('event: message_start\n')).toBe(true);
    expect(sseDataOf(text).map((event) => (event as { type: string }).type)).toContain('ping');
    expect(text).not.toContain('[DONE]');
  });
});
