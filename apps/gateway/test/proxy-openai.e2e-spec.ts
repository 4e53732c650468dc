import { STATUS_CODES, createServer, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { estimateTokens } from '@tollgate/reporting';
import OpenAI from 'openai';
import { FakeOpenAI } from './support/fake-openai';
import { eventFor } from './support/provider-e2e';
import { TestStack, eventually, startTestStack } from './support/test-stack';
import { spawnGateway } from './support/tollgate-process';

const UPSTREAM_SECRET = 'sk-upstream-secret';
const CLIENT_KEY = 'tg-client-key-for-e2e';

/** gpt-4o-mini list prices, USD per token: $0.15 and $0.60 per million. */
const GPT_4O_MINI = { input: 0.15 / 1e6, output: 0.6 / 1e6 };

describe('OpenAI proxy (e2e, official openai SDK)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  let keyId: string;
  let settingId: string;

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    stack = await startTestStack({ MAX_BODY_BYTES: String(64 * 1024), UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '1500', UPSTREAM_MAX_RESPONSE_BYTES: String(256 * 1024), MAX_BODY_BYTES_IN_FLIGHT: String(150 * 1024) });
    const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', {
      provider: 'openai',
      setting: { apiKey: UPSTREAM_SECRET, url: upstream.baseUrl },
    });
    settingId = setting.body.id;
    const key = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', {
      name: 'e2e',
      key: CLIENT_KEY,
      tags: ['e2e'],
      settingIds: [settingId],
      shouldLogRequest: true,
      shouldLogResponse: true,
    });
    keyId = key.body.keyId;
  });

  afterAll(async () => {
    await stack?.close();
    await upstream?.stop();
  });

  const sdk = (apiKey = CLIENT_KEY, baseURL = `${stack.proxyUrl}/v1`) => new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  const withId = (customId: string) => ({ headers: { 'x-custom-event-id': customId } });

  it('chat completion: the client gets the upstream answer; the upstream gets the provider key, never the client key', async () => {
    // The upstream takes a while, so the event's latency has a lower bound to check (not just >= 0).
    upstream.responseDelayMs = 150;
    const started = performance.now();
    const { data: completion, response } = await sdk()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], temperature: 0.3, logit_bias: { '50256': -100 }, user: 'alice' }, { headers: { 'x-custom-event-id': 'chat-1', cookie: 'session=abc', 'openai-organization': 'org-x' } })
      .withResponse()
      .finally(() => (upstream.responseDelayMs = 0));
    const clientMs = performance.now() - started;
    expect(completion.choices[0].message.content).toBe('Hello there, friend!');
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('set-cookie')).toBeNull();

    const received = upstream.lastRequest();
    expect(received.path).toBe('/v1/chat/completions');
    expect(received.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
    expect(JSON.stringify(received.headers)).not.toContain(CLIENT_KEY);
    expect(received.headers.cookie).toBeUndefined();
    expect(received.headers['openai-organization']).toBeUndefined();
    // Unknown and less common OpenAI fields pass through untouched.
    expect(received.body).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], temperature: 0.3, logit_bias: { '50256': -100 }, user: 'alice' });

    const event = await eventFor(stack, 'chat-1');
    expect(event).toMatchObject({
      id: response.headers.get('x-request-id'),
      key_id: keyId,
      tags: ['e2e'],
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      status: 200,
      prompt_token_count: 12,
      completion_token_count: 5,
      token_count_estimated: false,
      price_known: true,
      path: '/v1/chat/completions',
      method: 'POST',
      stream: false,
      custom_id: 'chat-1',
      user_id: 'alice',
      error_code: null,
    });
    expect(event.cost_in_usd).toBeCloseTo(12 * GPT_4O_MINI.input + 5 * GPT_4O_MINI.output, 12);
    // In milliseconds: the upstream's time included, about what the client waited (not seconds, not microseconds).
    expect(event.latency_in_ms).toBeGreaterThanOrEqual(140);
    expect(event.latency_in_ms).toBeLessThan(clientMs + 1_000);
    expect(event.request).toMatchObject({ model: 'gpt-4o-mini' });
    expect(event.response).toMatchObject({ id: 'chatcmpl-fake1' });
  });

  it('does not forward the headers a client names in Connection (hop-by-hop for the gateway only)', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${CLIENT_KEY}`,
          'content-type': 'application/json',
          connection: 'keep-alive, OpenAI-Beta, User-Agent',
          'openai-beta': 'hop-only',
          'user-agent': 'hop-only-ua',
          accept: 'application/json',
          'x-custom-event-id': 'hop-by-hop',
        },
      });
      request.on('response', (response) => response.resume().on('end', () => resolve(response.statusCode ?? 0)));
      request.on('error', reject);
      request.end(body);
    });
    expect(status).toBe(200);
    const received = upstream.lastRequest();
    expect(received.headers['openai-beta']).toBeUndefined();
    expect(received.headers['user-agent']).not.toBe('hop-only-ua');
    expect(received.headers.accept).toBe('application/json');
    // Recorded (and its cost settled) before the next test reads the key's spend.
    await eventFor(stack, 'hop-by-hop');
  });

  it('adds each event\'s cost to the key\'s spend, once', async () => {
    const before = Number((await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]))[0].spent_usd);
    await sdk().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, withId('spend-1'));
    const event = await eventFor(stack, 'spend-1');
    const after = Number((await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]))[0].spent_usd);
    expect(after - before).toBeCloseTo(event.cost_in_usd!, 10);
  });

  it('passes numbers a double cannot hold through untouched: an int64 seed, and unknown fields past the double range', async () => {
    const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"seed":9007199254740993,"x_unknown":{"big":18446744073709551615,"huge":1e400}}';
    for (const path of ['/v1/chat/completions', '/api/providers/openai/v1/chat/completions']) {
      const response = await fetch(`${stack.proxyUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }, body });
      expect([path, response.status]).toEqual([path, 200]);
      const sent = upstream.lastRequest().raw.toString();
      expect([path, sent]).toEqual([path, expect.stringContaining('"seed":9007199254740993')]);
      expect(sent).toContain('"x_unknown":{"big":18446744073709551615,"huge":1e400}');
    }
  });

  it('streams chunk by chunk and strips the usage chunk the client did not ask for, while still pricing the stream', async () => {
    const stream = await sdk().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('stream-1'));
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello world');
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    // Not even the "usage": null every chunk carries once usage is asked for: the chunks are the ones it would get without asking.
    expect(chunks.filter((c) => 'usage' in c)).toEqual([]);
    // The gateway asked the upstream for usage on the client's behalf.
    expect(upstream.lastRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });

    const event = await eventFor(stack, 'stream-1');
    expect(event).toMatchObject({ stream: true, status: 200, prompt_token_count: 11, completion_token_count: 4, token_count_estimated: false, price_known: true });
    expect(event.cost_in_usd).toBeCloseTo(11 * GPT_4O_MINI.input + 4 * GPT_4O_MINI.output, 12);
    expect(String(event.response)).toContain('data: [DONE]');
  });

  it('reads a stream relabelled text/plain (a proxy in front of the provider) as a stream: relayed as SSE, priced, usage chunk stripped', async () => {
    const stream = await sdk().chat.completions.create({ model: 'relabelled-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('relabelled-1'));
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello world');
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(await eventFor(stack, 'relabelled-1')).toMatchObject({ stream: true, status: 200, prompt_token_count: 11, completion_token_count: 4, token_count_estimated: false });
  });

  it('keeps the usage chunk when the client asks for it', async () => {
    const stream = await sdk().chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } },
      withId('stream-usage'),
    );
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
    // As OpenAI sends them when asked: every other chunk says "usage": null.
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect((await eventFor(stack, 'stream-usage')).prompt_token_count).toBe(11);
  });

  it('logs exactly one access line per relayed stream', async () => {
    const { response } = await sdk()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('stream-log-1'))
      .withResponse();
    await response.text();
    const requestId = response.headers.get('x-request-id');
    await eventFor(stack, 'stream-log-1');
    // Fastify's onResponse runs when the relayed stream ends: it must not log the request again.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = stack.logs.map((line) => JSON.parse(line) as { msg?: string; reqId?: string }).filter((line) => line.msg === 'request completed' && line.reqId === requestId);
    expect(lines).toEqual([expect.objectContaining({ stream: true, status: 200 })]);
  });

  it('relays stream chunks as they arrive, not after the upstream finishes', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const stream = await sdk().chat.completions.create(
      { model: 'slow-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true },
      { signal: controller.signal, headers: { 'x-custom-event-id': 'slow-1' } },
    );
    const arrivals: number[] = [];
    for await (const chunk of stream) {
      arrivals.push(Date.now() - started);
      if (chunk.choices[0]?.delta?.content && arrivals.length >= 3) break;
    }
    // The fake sends one chunk per 100 ms for 5 s: three chunks arrive long before the end.
    expect(arrivals[2]).toBeLessThan(2_000);
    // Leaving the loop closed the client connection: the gateway must abort the upstream call.
    await eventually(async () => (upstream.abortedByClient.includes('slow-stream') ? true : undefined), 5_000, 'upstream abort');
    const event = await eventFor(stack, 'slow-1');
    expect(event.error_code).toBe('client_disconnected');
  });

  it('answers with the headers at once when the first token takes a while', async () => {
    const started = Date.now();
    const response = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'thinking-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    const headersAfterMs = Date.now() - started;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    await reader.read();
    const firstEventAfterMs = Date.now() - started;
    await reader.cancel();
    // The fake sends its headers, then thinks for 1 s: the client has them long before the tokens.
    expect(firstEventAfterMs).toBeGreaterThanOrEqual(900);
    expect(headersAfterMs).toBeLessThan(firstEventAfterMs - 500);
  });

  it('sends an error frame when the upstream breaks mid-stream', async () => {
    const response = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': 'break-1' },
      body: JSON.stringify({ model: 'stream-break', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const text = await response.text();
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames[0]).toContain('chat.completion.chunk');
    const last = JSON.parse(frames[frames.length - 1].replace(/^data: /, ''));
    expect(last).toEqual({ error: { message: expect.any(String), type: 'api_error', param: null, code: 'upstream_unreachable' } });
    expect((await eventFor(stack, 'break-1')).error_code).toBe('upstream_unreachable');
  });

  it('a stream whose body closes cleanly before its end (no finish_reason, no [DONE]) is cut off: an error frame, and the event says so', async () => {
    const paths = [
      ['/v1/chat/completions', 'truncated-unified'],
      ['/api/providers/openai/v1/chat/completions', 'truncated-native'],
    ];
    for (const [path, id] of paths) {
      const response = await fetch(`${stack.proxyUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': id },
        body: JSON.stringify({ model: 'stream-truncated', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      const frames = (await response.text()).split('\n\n').filter(Boolean);
      expect(frames[0]).toContain('chat.completion.chunk');
      expect(JSON.parse(frames[frames.length - 1].replace(/^data: /, ''))).toEqual({
        error: { message: expect.stringContaining('before the answer was complete'), type: 'api_error', param: null, code: 'upstream_unreachable' },
      });
      expect(await eventFor(stack, id)).toMatchObject({ stream: true, error_code: 'upstream_unreachable' });
    }
    // The SDK raises it rather than ending its loop with half an answer.
    const stream = await sdk().chat.completions.create({ model: 'stream-truncated', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    await expect(
      (async () => {
        for await (const chunk of stream) void chunk;
      })(),
    ).rejects.toThrow(/before the answer was complete/);
  });

  it('an upstream that compresses although asked not to is decoded: the client reads the answer, the event has its usage', async () => {
    for (const coding of ['gzip', 'deflate', 'br']) {
      const { data: completion, response } = await sdk()
        .chat.completions.create({ model: `compressed-${coding}`, messages: [{ role: 'user', content: 'Hi' }] }, withId(`compressed-${coding}`))
        .withResponse();
      expect([coding, completion.choices[0].message.content, response.headers.get('content-encoding')]).toEqual([coding, 'Hello there, friend!', null]);
      expect(await eventFor(stack, `compressed-${coding}`)).toMatchObject({ status: 200, prompt_token_count: 12, completion_token_count: 5, token_count_estimated: false });
    }
    // A stream, each event flushed through gzip: relayed event by event, the usage read.
    const chunks: string[] = [];
    const stream = await sdk().chat.completions.create({ model: 'compressed-gzip-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('compressed-stream'));
    for await (const chunk of stream) chunks.push(chunk.choices[0]?.delta.content ?? '');
    expect(chunks.join('')).toBe('Hello world');
    expect(await eventFor(stack, 'compressed-stream')).toMatchObject({ stream: true, completion_token_count: 4, token_count_estimated: false, error_code: null });
    // On the native path too, and an error body is decoded before it is relayed.
    const native = await fetch(`${stack.proxyUrl}/api/providers/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'compressed-gzip', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect([native.status, native.headers.get('content-encoding'), ((await native.json()) as { object: string }).object]).toEqual([200, null, 'chat.completion']);
    await expect(sdk().chat.completions.create({ model: 'compressed-gzip-fail-400', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({ status: 400 });
  });

  it('an answer in a content coding the gateway cannot read is a 502 that says so, never unreadable bytes with a 200', async () => {
    const response = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': 'compressed-unknown' },
      body: JSON.stringify({ model: 'compressed-x-unknown', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(response.status).toBe(502);
    // The upstream answers so every time: a 5xx the SDKs are told not to retry.
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(await response.json()).toEqual({ error: { message: expect.stringContaining('content coding the gateway cannot read (x-unknown)'), type: 'api_error', param: null, code: 'upstream_unreachable' } });
    expect(await eventFor(stack, 'compressed-unknown')).toMatchObject({ status: 502, error_code: 'upstream_unreachable' });
  });

  it('embeddings and models through the SDK', async () => {
    const embeddings = await sdk().embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }, withId('emb-1'));
    expect(embeddings.data).toHaveLength(2);
    expect(upstream.lastRequest().path).toBe('/v1/embeddings');
    const event = await eventFor(stack, 'emb-1');
    expect(event).toMatchObject({ prompt_token_count: 16, completion_token_count: 0, price_known: true, model: 'text-embedding-3-small' });
    expect(event.cost_in_usd).toBeCloseTo(16 * (0.02 / 1e6), 14);

    const models = await sdk().models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o-mini']);
  });

  describe('the Responses API and other OpenAI operations through the unified base URL', () => {
    /** gpt-4o-mini's price for the fake's Responses usage: 14 input and 3 output tokens. */
    const responseCost = 14 * GPT_4O_MINI.input + 3 * GPT_4O_MINI.output;

    it('responses.create: relayed to the key\'s OpenAI setting (an openai/ prefix removed), read and priced', async () => {
      const { data: response, response: raw } = await sdk()
        .responses.create({ model: 'openai/gpt-4o-mini', input: 'Say hello', instructions: 'Be brief.' }, withId('responses-json'))
        .withResponse();
      expect(response.output_text).toBe('Hello there!');
      expect(raw.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const received = upstream.lastRequest();
      expect(received.path).toBe('/v1/responses');
      expect(received.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
      expect(received.body).toEqual({ model: 'gpt-4o-mini', input: 'Say hello', instructions: 'Be brief.' });
      const event = await eventFor(stack, 'responses-json');
      expect(event).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', path: '/v1/responses', status: 200, stream: false, prompt_token_count: 14, completion_token_count: 3, token_count_estimated: false, price_known: true });
      expect(event.cost_in_usd).toBeCloseTo(responseCost, 12);
    });

    it('a streamed response reaches the SDK event by event, whole, and is priced from its response.completed event', async () => {
      const stream = await sdk().responses.create({ model: 'gpt-4o-mini', input: 'Say hello', stream: true }, withId('responses-stream'));
      const types: string[] = [];
      let text = '';
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.output_text.delta') text += event.delta;
      }
      expect(text).toBe('Hello there!');
      expect(types[0]).toBe('response.created');
      expect(types[types.length - 1]).toBe('response.completed');
      expect(types.filter((type) => type === 'response.output_text.delta')).toHaveLength(3);
      // Nothing is added to a Responses request: it carries its usage on its own.
      expect(upstream.lastRequest().body).toEqual({ model: 'gpt-4o-mini', input: 'Say hello', stream: true });
      const event = await eventFor(stack, 'responses-stream');
      expect(event).toMatchObject({ model: 'gpt-4o-mini', stream: true, status: 200, prompt_token_count: 14, completion_token_count: 3, token_count_estimated: false, price_known: true });
      expect(event.cost_in_usd).toBeCloseTo(responseCost, 12);
    });

    it('a budgeted key may use it when only tokens bill it: reserved, priced and settled; built-in tools, stored prompts and earlier turns are refused', async () => {
      const budgeted = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: 'responses budget', key: 'tg-responses-budget', settingIds: [settingId], costLimitInUsd: 10 });
      expect(budgeted.status).toBe(200);
      await eventually(async () => ((await fetch(`${stack.proxyUrl}/v1/models`, { headers: { authorization: 'Bearer tg-responses-budget' } })).status === 200 ? true : undefined), 5_000, 'budgeted key');
      const client = sdk('tg-responses-budget');
      const tool = { type: 'function' as const, name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false };
      const answer = await client.responses.create({ model: 'gpt-4o-mini', input: 'Say hello', max_output_tokens: 16, tools: [tool] }, withId('responses-budgeted'));
      expect(answer.output_text).toBe('Hello there!');
      const event = await eventFor(stack, 'responses-budgeted');
      expect(event).toMatchObject({ prompt_token_count: 14, completion_token_count: 3, price_known: true });
      await eventually(async () => {
        const [row] = await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [budgeted.body.keyId]);
        return Math.abs(Number(row.spent_usd) - responseCost) < 1e-12 ? true : undefined;
      }, 10_000, 'the spend settled');
      const before = upstream.requests.length;
      for (const extra of [
        { tools: [{ type: 'web_search' }] },
        { prompt: { id: 'pmpt_1' } },
        { previous_response_id: 'resp_earlier' },
        { background: true },
        { input: [{ type: 'item_reference', id: 'msg_earlier' }] },
        { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
      ]) {
        const refused = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', ...extra } as OpenAI.Responses.ResponseCreateParamsNonStreaming).then(() => null, (e: unknown) => e);
        expect([extra, refused]).toEqual([extra, expect.objectContaining({ status: 400, code: 'model_not_priced' })]);
      }
      expect(upstream.requests.length).toBe(before);
    });

    it("a budget reserves BUDGET_DEFAULT_MAX_TOKENS for a response whose body names only other APIs' output limits, which it does not read", async () => {
      // gpt-4o-mini at $0.60 per million output tokens: 4,096 of them cost $0.0025, 16 cost $0.00001.
      const budgeted = await stack.admin('PUT', '/api/key-management/keys', { name: 'responses tight budget', key: 'tg-responses-tight', settingIds: [settingId], costLimitInUsd: 0.001 });
      expect(budgeted.status).toBe(200);
      await eventually(async () => ((await fetch(`${stack.proxyUrl}/v1/models`, { headers: { authorization: 'Bearer tg-responses-tight' } })).status === 200 ? true : undefined), 5_000, 'budgeted key');
      const create = (extra: Record<string, unknown>) =>
        sdk('tg-responses-tight')
          .responses.create({ model: 'gpt-4o-mini', input: 'Write a lot', ...extra } as OpenAI.Responses.ResponseCreateParamsNonStreaming)
          .then(() => null, (e: unknown) => e);
      const before = upstream.requests.length;
      for (const foreign of [{}, { max_tokens: 1 }, { max_completion_tokens: 1 }, { generationConfig: { maxOutputTokens: 1 } }]) {
        expect([foreign, await create(foreign)]).toEqual([foreign, expect.objectContaining({ status: 429, code: 'cost_limit_exceeded' })]);
      }
      expect(upstream.requests.length).toBe(before);
      expect(await create({ max_output_tokens: 16 })).toBeNull();
    });

    it('a response stream cut before response.completed is estimated and priced, never free', async () => {
      // The fake names its answer after the model asked for: price that name ($1 / $2 per million tokens).
      expect((await stack.admin('PUT', '/api/model-prices', { provider: 'openai', model: 'stream-break', inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 2 })).status).toBe(200);
      const stream = await sdk().responses.create({ model: 'stream-break', input: 'Say hello', instructions: 'Be brief.', stream: true }, withId('responses-cut'));
      const text: string[] = [];
      const outcome = await (async () => {
        for await (const event of stream) if (event.type === 'response.output_text.delta') text.push(event.delta);
      })().then(() => 'ended', () => 'failed');
      expect(outcome).toBe('failed');
      expect(text.join('')).toBe('Hello there');
      const event = await eventFor(stack, 'responses-cut');
      expect(event).toMatchObject({ stream: true, token_count_estimated: true, completion_token_count: estimateTokens('Hello there'), price_known: true });
      // The input and the instructions were read: both count.
      expect(event.prompt_token_count).toBeGreaterThanOrEqual(estimateTokens('Say hello') + estimateTokens('Be brief.'));
      expect(event.cost_in_usd).toBeCloseTo((event.prompt_token_count * 1 + event.completion_token_count * 2) / 1e6, 12);
      expect((await stack.admin('DELETE', '/api/model-prices?provider=openai&model=stream-break')).status).toBe(204);
    });

    it('a response stream that closes cleanly before response.completed fails for the client too', async () => {
      const raw = await fetch(`${stack.proxyUrl}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': 'responses-truncated' },
        body: JSON.stringify({ model: 'stream-truncated', input: 'Say hello', stream: true }),
      });
      const frames = (await raw.text()).split('\n\n').filter(Boolean);
      expect(frames.some((frame) => frame.includes('response.completed'))).toBe(false);
      expect(frames[frames.length - 1]).toContain('before the answer was complete');
      expect(await eventFor(stack, 'responses-truncated')).toMatchObject({ stream: true, error_code: 'upstream_unreachable' });
    });

    it('a 200 whose body is an error is relayed as it came (the provider\'s own API), recorded as the error it is and billed nothing', async () => {
      const response = await fetch(`${stack.proxyUrl}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': 'responses-error-200' },
        body: JSON.stringify({ model: 'error-200', input: 'Hi' }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } });
      expect(await eventFor(stack, 'responses-error-200')).toMatchObject({ status: 200, error_code: 'server_error', token_count_estimated: false, prompt_token_count: 0, cost_in_usd: 0 });
    });

    it('other operations (files, upstream errors) relay as on the native path; OpenAI\'s own errors keep their status', async () => {
      await expect(sdk().responses.create({ model: 'gpt-4o-mini' } as OpenAI.Responses.ResponseCreateParamsNonStreaming)).rejects.toMatchObject({ status: 400, code: 'missing_required_parameter' });
      const unknown = await fetch(`${stack.proxyUrl}/v1/no-such-operation`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }, body: '{}' });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
      expect(upstream.lastRequest().path).toBe('/v1/no-such-operation');
      // A model named for another provider is refused with a pointer, not sent to OpenAI.
      const before = upstream.requests.length;
      await expect(sdk().responses.create({ model: 'anthropic/claude-sonnet-4-5', input: 'hi' })).rejects.toMatchObject({ status: 400, param: 'model', message: expect.stringContaining('relayed to OpenAI only') });
      expect(upstream.requests.length).toBe(before);
      // Without a valid key nothing is relayed.
      await expect(sdk('tg-not-a-key').responses.create({ model: 'gpt-4o-mini', input: 'hi' })).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect(upstream.requests.length).toBe(before);
    });
  });

  it('native OpenAI paths: chat, embeddings, moderations, models, model', async () => {
    const native = sdk(CLIENT_KEY, `${stack.proxyUrl}/api/providers/openai/v1`);
    const completion = await native.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, withId('native-chat'));
    expect(completion.id).toBe('chatcmpl-fake1');
    expect((await eventFor(stack, 'native-chat')).path).toBe('/api/providers/openai/v1/chat/completions');
    expect((await native.embeddings.create({ model: 'text-embedding-3-small', input: 'a' })).data).toHaveLength(1);
    expect((await native.moderations.create({ input: 'hello' })).results[0].flagged).toBe(false);
    expect(upstream.lastRequest().path).toBe('/v1/moderations');
    expect((await native.models.list()).data).toHaveLength(1);
    expect((await native.models.retrieve('gpt-4o-mini')).id).toBe('gpt-4o-mini');
    await expect(native.models.retrieve('nope')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('estimates tokens with the tokenizer when the provider reports no usage, and says so', async () => {
    await sdk().chat.completions.create({ model: 'no-usage', messages: [{ role: 'user', content: 'Count these words please' }] }, withId('estimate-1'));
    const event = await eventFor(stack, 'estimate-1');
    expect(event.token_count_estimated).toBe(true);
    // 4 tokens of text, and what OpenAI bills around one message: 4 for its framing, 3 priming the reply.
    expect(event.prompt_token_count).toBe(4 + 4 + 3);
    expect(event.completion_token_count).toBe(5);
    expect(event.price_known).toBe(true);
  });

  it('records an event whose upstream reported impossible usage, with counts made whole and never a refund', async () => {
    const spentBefore = Number((await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]))[0].spent_usd);
    await sdk().chat.completions.create({ model: 'odd-usage', messages: [{ role: 'user', content: 'Hi' }] }, withId('odd-usage'));
    const event = await eventFor(stack, 'odd-usage');
    // 10.5 prompt tokens are 11, all of them (not 200) read from the cache; -10 completion tokens are none.
    expect(event).toMatchObject({ model: 'gpt-4o-mini-2024-07-18', prompt_token_count: 11, completion_token_count: 0, price_known: true });
    expect(event.cost_in_usd).toBeCloseTo(11 * (0.075 / 1e6), 14);
    const spentAfter = Number((await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]))[0].spent_usd);
    expect(spentAfter - spentBefore).toBeCloseTo(Number(event.cost_in_usd), 10);
  });

  it('prices the audio tokens of a chat completion at the audio rates, not as text', async () => {
    await sdk().chat.completions.create({ model: 'gpt-audio', messages: [{ role: 'user', content: 'Hi' }] }, withId('audio-usage'));
    const event = await eventFor(stack, 'audio-usage');
    expect(event).toMatchObject({ model: 'gpt-audio-2024-07-18', prompt_token_count: 100, completion_token_count: 60, price_known: true });
    // gpt-audio: text $2.50 in / $10 out, audio $32 in / $64 out per million tokens.
    expect(event.cost_in_usd).toBeCloseTo((60 * 2.5 + 40 * 32 + 10 * 10 + 50 * 64) / 1e6, 12);
  });

  it('flags an unpriced model instead of recording it as free', async () => {
    await sdk().chat.completions.create({ model: 'my-private-model', messages: [{ role: 'user', content: 'Hi' }] }, withId('unpriced-1'));
    const event = await eventFor(stack, 'unpriced-1');
    expect(event).toMatchObject({ price_known: false, cost_in_usd: null, prompt_token_count: 12 });
  });

  it('applies an admin price override', async () => {
    const price = await stack.admin('PUT', '/api/model-prices', { provider: 'openai', model: 'my-tuned-model-2024-07-18', inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 2 });
    expect(price.status).toBe(200);
    await sdk().chat.completions.create({ model: 'my-tuned-model', messages: [{ role: 'user', content: 'Hi' }] }, withId('override-1'));
    const event = await eventFor(stack, 'override-1');
    expect(event.cost_in_usd).toBeCloseTo((12 * 1 + 5 * 2) / 1e6, 12);
  });

  it('prices by an override set on the requested model even when the answering snapshot is in the table', async () => {
    // The fake answers as the dated snapshot gpt-4o-mini-2024-07-18, which the price table knows.
    expect((await stack.admin('PUT', '/api/model-prices', { provider: 'openai', model: 'gpt-4o-mini', inputUsdPerMillionTokens: 100, outputUsdPerMillionTokens: 1000 })).status).toBe(200);
    try {
      await sdk().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, withId('override-requested-1'));
      const event = await eventFor(stack, 'override-requested-1');
      expect(event.model).toBe('gpt-4o-mini-2024-07-18');
      expect(event.cost_in_usd).toBeCloseTo((12 * 100 + 5 * 1000) / 1e6, 12);
    } finally {
      await stack.admin('DELETE', '/api/model-prices?provider=openai&model=gpt-4o-mini');
    }
  });

  it('records events whose client-chosen fields carry control characters (a NUL must not stall recording)', async () => {
    await Promise.all([
      sdk().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], user: 'mal\u0000lory' }, withId('nul-1')),
      sdk().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], user: 'bystander' }, withId('nul-2')),
    ]);
    expect((await eventFor(stack, 'nul-1')).user_id).toBe('mallory');
    expect((await eventFor(stack, 'nul-2')).user_id).toBe('bystander');
  });

  describe('authentication', () => {
    it('rejects unknown keys with OpenAI\'s invalid_api_key error', async () => {
      await expect(sdk('tg-not-a-real-key').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({
        status: 401,
        code: 'invalid_api_key',
        type: 'invalid_request_error',
      });
      const missing = await fetch(`${stack.proxyUrl}/v1/models`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('x-request-id')).toBeTruthy();
      expect(await missing.json()).toEqual({ error: { message: expect.stringContaining('API key'), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    });

    it("answers a browser's CORS preflight without a key, as OpenAI does, and lets the page read the answer; never on the admin API", async () => {
      const origin = 'https://app.example.com';
      const callsBefore = upstream.requests.length;
      const preflight = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-stainless-os' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type,x-stainless-os');
      expect(preflight.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(upstream.requests.length).toBe(callsBefore);

      const answer = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { origin, authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe('*');
      expect(answer.headers.get('access-control-expose-headers')).toContain('x-request-id');
      // A stream, written past Fastify, carries them too.
      const stream = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { origin, authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      expect([stream.status, stream.headers.get('content-type'), stream.headers.get('access-control-allow-origin')]).toEqual([200, 'text/event-stream; charset=utf-8', '*']);
      expect(await stream.text()).toContain('data: [DONE]');
      // A refusal is readable too: the page sees the 401 and its message, not a CORS failure.
      const refused = await fetch(`${stack.proxyUrl}/v1/models`, { headers: { origin, authorization: 'Bearer tg-not-a-real-key' } });
      expect([refused.status, refused.headers.get('access-control-allow-origin')]).toEqual([401, '*']);
      // Server-side clients send no Origin and get no CORS headers, Vary included.
      const plain = await fetch(`${stack.proxyUrl}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
      expect([plain.status, plain.headers.get('access-control-allow-origin'), plain.headers.get('vary')]).toEqual([200, null, null]);
      // An OPTIONS that is no preflight, to a path with no route, is the 404 any method gets there.
      const stray = await fetch(`${stack.proxyUrl}/no-such-path`, { method: 'OPTIONS', body: 'x'.repeat(32 * 1024) });
      expect(stray.status).toBe(404);
      // The admin API stays closed to pages of other origins.
      const admin = await fetch(`${stack.adminUrl}/api/key-management/keys`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
      expect([admin.headers.get('access-control-allow-origin'), admin.headers.get('vary')]).toEqual([null, null]);
      expect(admin.status).not.toBe(204);
    });

    it('accepts the key as x-api-key and api-key too', async () => {
      for (const header of ['x-api-key', 'api-key']) {
        const response = await fetch(`${stack.proxyUrl}/v1/models`, { headers: { [header]: CLIENT_KEY } });
        expect(response.status).toBe(200);
      }
    });

    it('stops a revoked key within a second, with the reason', async () => {
      const created = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: 'revocable', key: 'tg-revocable-key-1', settingIds: [settingId] });
      const call = () => fetch(`${stack.proxyUrl}/v1/models`, { headers: { authorization: 'Bearer tg-revocable-key-1' } });
      await eventually(async () => ((await call()).status === 200 ? true : undefined), 1_000, 'new key usable');
      await stack.admin('PATCH', `/api/key-management/keys/${created.body.keyId}`, { revoked: true, revokedReason: 'leaked on GitHub' });
      const revokedAt = Date.now();
      const rejected = await eventually(async () => {
        const response = await call();
        return response.status === 401 ? response : undefined;
      }, 1_000, 'revocation');
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
      expect(((await rejected.json()) as { error: { message: string } }).error.message).toContain('leaked on GitHub');
    });

    it('refuses a key revoked while its request body was still arriving', async () => {
      const created = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: 'revoked-mid-upload', key: 'tg-revoked-mid-upload', settingIds: [settingId] });
      const call = (body: string | ReadableStream<Uint8Array>, extra: RequestInit = {}) =>
        fetch(`${stack.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer tg-revoked-mid-upload', 'content-type': 'application/json' }, body, ...extra });
      const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
      await eventually(async () => ((await call(chat)).status === 200 ? true : undefined), 1_000, 'new key usable');
      // The headers (and the key) arrive first; the body only after the revocation has landed.
      let finishBody: () => void = () => undefined;
      const bodyHeld = new Promise<void>((resolve) => (finishBody = resolve));
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode(chat.slice(0, 10)));
          await bodyHeld;
          controller.enqueue(new TextEncoder().encode(chat.slice(10)));
          controller.close();
        },
      });
      const pending = call(body, { duplex: 'half' } as RequestInit);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await stack.admin('PATCH', `/api/key-management/keys/${created.body.keyId}`, { revoked: true, revokedReason: 'revoked mid-upload' });
      await eventually(async () => ((await call(chat)).status === 401 ? true : undefined), 1_000, 'revocation');
      finishBody();
      const response = await pending;
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain('revoked mid-upload');
    });

    it('rejects an expired key', async () => {
      await stack.admin('PUT', '/api/key-management/keys', { name: 'short-lived', key: 'tg-short-lived-key', settingIds: [settingId], ttl: '1s' });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const response = await fetch(`${stack.proxyUrl}/v1/models`, { headers: { authorization: 'Bearer tg-short-lived-key' } });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain('expired');
    });
  });

  describe('bad input', () => {
    const post = (body: string | Buffer, contentType = 'application/json', headers: Record<string, string> = {}) =>
      fetch(`${stack.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': contentType, ...headers }, body });

    it.each([
      ['invalid JSON', '{"model":', 'invalid_json', null],
      ['an empty body', '', 'invalid_json', null],
      ['a __proto__ key (prototype poisoning)', '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"__proto__":{"admin":true}}', 'invalid_json', null],
      ['a JSON array', '[1,2]', 'invalid_request_error', null],
      ['no model', JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), 'invalid_request_error', 'model'],
      ['no messages', JSON.stringify({ model: 'gpt-4o-mini' }), 'invalid_request_error', 'messages'],
      ['empty messages', JSON.stringify({ model: 'gpt-4o-mini', messages: [] }), 'invalid_request_error', 'messages'],
      ['a null message', JSON.stringify({ model: 'gpt-4o-mini', messages: [null] }), 'invalid_request_error', 'messages[0]'],
      ['a message without a role', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ content: 'Hi' }] }), 'invalid_request_error', 'messages[0]'],
      ['non-boolean stream', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: 'yes' }), 'invalid_request_error', 'stream'],
      // Output limits a budget reserves from and translations send must be counts they both read.
      ['a max_tokens given as text', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: '8' }), 'invalid_request_error', 'max_tokens'],
      ['a negative max_completion_tokens', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_completion_tokens: -1 }), 'invalid_request_error', 'max_completion_tokens'],
      ['an n past 2^53', '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"n":100000000000000000000}', 'invalid_request_error', 'n'],
      // Rewriting it for the upstream (and recording it) overflowed the stack: a 500, no event.
      ['JSON nested 5,000 levels deep', `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"metadata_x":${'['.repeat(5_000)}${']'.repeat(5_000)}}`, 'invalid_request_error', null],
    ])('%s → 400 in OpenAI shape, nothing sent upstream', async (_name, body, code, param) => {
      const count = upstream.requests.length;
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param, code } });
      expect(upstream.requests.length).toBe(count);
    });

    it('decodes a UTF-8 body whose characters are split across packets', async () => {
      const content = 'héllo 👋 日本語';
      const body = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }));
      const cut = body.indexOf(Buffer.from('👋')) + 2; // inside the emoji's four bytes
      const socket = connect(Number(new URL(stack.proxyUrl).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.setNoDelay(true);
      const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${CLIENT_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
      socket.write(Buffer.concat([Buffer.from(head), body.subarray(0, cut)]));
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.write(body.subarray(cut));
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.once('close', () => resolve(text));
      });
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      expect(upstream.lastRequest().body).toMatchObject({ messages: [{ role: 'user', content }] });
    });

    it('requests the HTTP parser refuses are answered in each listener\'s shape, with x-request-id, and closed', async () => {
      const raw = (url: string, request: string) =>
        new Promise<string>((resolve, reject) => {
          const target = new URL(url);
          const socket = connect(Number(target.port), target.hostname);
          let text = '';
          socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
          socket.once('close', () => resolve(text));
          socket.once('error', reject);
          socket.write(request);
        });
      const huge = `x-padding: ${'a'.repeat(20_000)}\r\n`;
      const cases: Array<[string, string, number]> = [
        [stack.proxyUrl, `GET /v1/models HTTP/1.1\r\nhost: x\r\n${huge}\r\n`, 431],
        [stack.adminUrl, `GET /api/key-management/keys HTTP/1.1\r\nhost: x\r\n${huge}\r\n`, 431],
        [stack.proxyUrl, 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n{}', 400],
        [stack.adminUrl, 'GET /api/key-management/keys HTTP/1.1\r\nhost x\r\n\r\n', 400],
        // The native Anthropic path answers in Anthropic's shape, which its SDK reads.
        [stack.proxyUrl, `POST /api/providers/anthropic/v1/messages HTTP/1.1\r\nhost: x\r\n${huge}\r\n`, 431],
        [stack.proxyUrl, 'POST /api/providers/anthropic/v1/messages HTTP/1.1\r\nhost: x\r\nx-bad\u0001: 1\r\n\r\n', 400],
      ];
      for (const [url, request, status] of cases) {
        const answer = await raw(url, request);
        const [head, body] = answer.split('\r\n\r\n');
        expect([url, head.split('\r\n')[0]]).toEqual([url, `HTTP/1.1 ${status} ${STATUS_CODES[status]}`]);
        expect(head).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
        expect(head).toContain('connection: close');
        const parsed = JSON.parse(body) as Record<string, unknown>;
        if (request.includes('/api/providers/anthropic/')) expect(parsed).toEqual({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
        else if (url === stack.proxyUrl) expect(parsed).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: expect.any(String) } });
        else expect(parsed).toMatchObject({ status, title: expect.any(String), type: expect.stringMatching(/^\/errors\//), detail: expect.any(String) });
      }
    });

    it('a path with a malformed percent-encoding is a 400 in each listener\'s shape, with x-request-id', async () => {
      const proxy = await fetch(`${stack.proxyUrl}/v1/models/%ZZ`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
      expect(proxy.status).toBe(400);
      expect(proxy.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await proxy.json()).toEqual({ error: { message: expect.stringContaining('not a valid url'), type: 'invalid_request_error', param: null, code: 'invalid_request_error' } });
      const admin = await fetch(`${stack.adminUrl}/api/key-management/keys/%E0%A4%A`, { headers: { 'x-api-key': stack.adminKey } });
      expect(admin.status).toBe(400);
      expect(admin.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await admin.json()).toMatchObject({ status: 400, title: 'bad request', instance: '/api/key-management/keys/%E0%A4%A' });
    });

    it('wrong content type → 415; body over the cap → 413', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
        const wrongType = await post('model=gpt-4o-mini&messages=x', type);
        expect(wrongType.status).toBe(415);
        expect(await wrongType.json()).toMatchObject({ error: { code: 'unsupported_media_type', type: 'invalid_request_error' } });
      }
      const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'café' }] });
      const refused = async (response: Response, mentions: string) => {
        expect(response.status).toBe(415);
        expect(await response.json()).toEqual({ error: { message: expect.stringContaining(mentions), type: 'invalid_request_error', param: null, code: 'unsupported_media_type' } });
      };
      const before = upstream.requests.length;
      // Bytes meant for the native upload paths are no JSON operation's body.
      for (const type of ['multipart/form-data; boundary=x', 'application/octet-stream']) await refused(await post(chat, type), 'application/json');
      // JSON in another charset would be read as UTF-8 and sent upstream mangled.
      await refused(await post(Buffer.from(chat, 'latin1'), 'application/json; charset=iso-8859-1'), 'charset');
      // A compressed body: refused for what it is, not as malformed JSON.
      await refused(await post(gzipSync(chat), 'application/json', { 'content-encoding': 'gzip' }), 'Content-Encoding');
      expect(upstream.requests.length).toBe(before);
      // Refused before the proxy read them, they are still the key's requests: each has its event.
      expect((await post('{"model":', 'application/json', { 'x-custom-event-id': 'refused-json' })).status).toBe(400);
      expect((await post(gzipSync(chat), 'application/json', { 'content-encoding': 'gzip', 'x-custom-event-id': 'refused-coding' })).status).toBe(415);
      expect(await eventFor(stack, 'refused-json')).toMatchObject({ status: 400, error_code: 'invalid_json', provider: 'gateway', path: '/v1/chat/completions' });
      expect(await eventFor(stack, 'refused-coding')).toMatchObject({ status: 415, error_code: 'unsupported_media_type' });
      // UTF-8 said out loud, and identity, are fine.
      expect((await post(chat, 'application/json; charset="UTF-8"', { 'content-encoding': 'identity' })).status).toBe(200);
      const huge = await post(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] }));
      expect(huge.status).toBe(413);
      expect(await huge.json()).toMatchObject({ error: { code: 'payload_too_large' } });
      // Larger than all the bodies held at once may be (150 KiB here): still a 413, which no retry mends, not a 503.
      const larger = await post(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(200 * 1024) }] }));
      expect([larger.status, ((await larger.json()) as { error: { code: string } }).error.code]).toEqual([413, 'payload_too_large']);
    });

    it('answers a caller without a valid key 401 before looking at its body, and closes the connection', async () => {
      const bodies: Array<[string, string]> = [
        ['{"model":', 'application/json'],
        ['model=gpt-4o-mini&messages=x', 'application/x-www-form-urlencoded'],
        [JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] }), 'application/json'],
      ];
      // The unified API, and a native catch-all route (files, audio...: registered with @All).
      for (const path of ['/v1/chat/completions', '/api/providers/openai/v1/files']) {
        for (const [body, contentType] of bodies) {
          for (const authorization of ['Bearer tg-not-a-key', undefined]) {
            const response = await fetch(`${stack.proxyUrl}${path}`, {
              method: 'POST',
              headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
              body,
            });
            expect(response.status).toBe(401);
            expect(response.headers.get('connection')).toBe('close');
            expect(await response.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
          }
        }
      }
    });
    it('bounds the request bodies held at once (MAX_BODY_BYTES_IN_FLIGHT): past it a 503 to retry, before the body is read', async () => {
      const port = Number(new URL(stack.proxyUrl).port);
      const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(60 * 1024) }] });
      const head = (framing: string, customId: string) =>
        `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${CLIENT_KEY}\r\ncontent-type: application/json\r\nx-custom-event-id: ${customId}\r\n${framing}\r\n\r\n`;
      const answerOf = (socket: ReturnType<typeof connect>) =>
        new Promise<string>((resolve) => {
          let text = '';
          socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
          socket.once('close', () => resolve(text));
          socket.once('error', () => resolve(text));
        });
      // Two clients still sending their 60 kB bodies (slowly, or stuck): the stack holds 150 kB at most.
      const held = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
      try {
        for (const socket of held) socket.write(head(`content-length: ${body.length}`, 'held') + body.slice(0, 1_000));
        const post = (customId: string) =>
          fetch(`${stack.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': customId }, body });
        const refused = await eventually(async () => {
          const response = await post('bodies-full');
          return response.status === 503 ? response : undefined;
        }, 3_000, 'a request refused while two bodies are held');
        expect(refused.headers.get('retry-after')).toBe('1');
        expect(await refused.json()).toEqual({ error: { message: expect.stringContaining('retry shortly'), type: 'api_error', param: null, code: 'gateway_overloaded' } });
        expect(await eventFor(stack, 'bodies-full')).toMatchObject({ status: 503, error_code: 'gateway_overloaded', provider: 'gateway' });
        // A chunked body is held as it is read: refused once its chunks pass the bound.
        const chunked = connect(port, '127.0.0.1');
        const chunkedAnswer = answerOf(chunked);
        chunked.write(head('transfer-encoding: chunked', 'bodies-full-chunked') + `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`);
        expect((await chunkedAnswer).split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
        // A held body is given back when its request ends (here, its client leaves).
        held[0].destroy();
        await eventually(async () => ((await post('bodies-freed')).status === 200 ? true : undefined), 3_000, 'a request admitted again');
      } finally {
        for (const socket of held) socket.destroy();
      }
      // Chunked bodies within the bound are read as before.
      const small = connect(port, '127.0.0.1');
      const smallAnswer = answerOf(small);
      small.write(head('transfer-encoding: chunked\r\nconnection: close', 'chunked-ok') + `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`);
      expect((await smallAnswer).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    });
  });

  /**
   * A new OpenAI setting at `url` and a key of its own on it; `chat` sends a chat completion with
   * that key. (An admin write answers once the gateway applied it: the key works at once.)
   */
  const ownKey = async (url: string, key: string, settingName?: string) => {
    const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: UPSTREAM_SECRET, url }, ...(settingName ? { name: settingName } : {}) });
    expect((await stack.admin('PUT', '/api/key-management/keys', { name: settingName ?? key, key, settingIds: [setting.body.id] })).status).toBe(200);
    const chat = (model = 'gpt-4o-mini', headers: Record<string, string> = {}) =>
      fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
      });
    return { settingId: setting.body.id, chat };
  };

  /** The three operations priced by tokens, each with the smallest body it takes (model aside). */
  const TOKEN_OPERATIONS = [
    ['/v1/chat/completions', { messages: [{ role: 'user', content: 'Hi' }] }],
    ['/v1/completions', { prompt: 'Hi' }],
    ['/v1/embeddings', { input: 'Hi' }],
  ] as const;

  /** POSTs `body` to `path` with the client key, its event tagged `eventId`. */
  const postOperation = (path: string, body: Record<string, unknown>, eventId: string) =>
    fetch(`${stack.proxyUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': eventId },
      body: JSON.stringify(body),
    });

  describe('upstream failures', () => {
    it('keeps an upstream 4xx status and OpenAI error body (429 with retry-after)', async () => {
      const error = await sdk()
        .chat.completions.create({ model: 'fail-429', messages: [{ role: 'user', content: 'Hi' }] }, withId('fail-429'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded', message: expect.stringContaining('Simulated 429') });
      expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
      const event = await eventFor(stack, 'fail-429');
      expect(event).toMatchObject({ status: 429, error_code: 'rate_limit_exceeded', cost_in_usd: 0, prompt_token_count: 0 });
      // The key logs responses: the error body the client got is the event's response.
      expect(event.response).toEqual({ error: (error as InstanceType<typeof OpenAI.APIError>).error });
      expect(event.response).toMatchObject({ error: { code: 'rate_limit_exceeded', message: expect.stringContaining('Simulated 429') } });
    });

    it('relays an OpenAI error body as the upstream wrote it, code: null included', async () => {
      for (const path of ['/v1/chat/completions', '/api/providers/openai/v1/chat/completions']) {
        const response = await fetch(`${stack.proxyUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'fail-400', messages: [{ role: 'user', content: 'Hi' }] }),
        });
        expect([path, response.status]).toEqual([path, 400]);
        expect(await response.json()).toEqual({ error: { message: 'Simulated 400', type: 'invalid_request_error', param: null, code: null } });
      }
    });

    it('an upstream error that quotes the stored credential reaches the client without it, on every path', async () => {
      for (const path of ['/v1/chat/completions', '/api/providers/openai/v1/chat/completions']) {
        const response = await fetch(`${stack.proxyUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'echo-credential', messages: [{ role: 'user', content: 'Hi' }] }),
        });
        const text = await response.text();
        expect([path, response.status]).toEqual([path, 400]);
        expect(text).not.toContain(UPSTREAM_SECRET);
        expect(JSON.parse(text)).toMatchObject({ error: { message: 'The key Bearer [redacted] may not use this model', type: 'invalid_request_error' } });
      }
      // Inside a stream's error frame, too.
      const stream = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo-credential-stream', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      const frames = await stream.text();
      expect([frames.includes('[reda'), frames.includes(UPSTREAM_SECRET.slice(0, 5))]).toEqual([true, false]);
      // A proxy's 4xx page quoting it, cut where the credential straddles the cut: not even the
      // part of it before the cut is there.
      const page = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo-credential-page', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      const pageText = await page.text();
      expect([pageText.includes('[reda'), pageText.includes(UPSTREAM_SECRET.slice(0, 5))]).toEqual([true, false]);
    });

    it('lists the models of a key with many settings without piling a listener per upstream call on the response', async () => {
      const settingIds: string[] = [];
      for (let i = 0; i < 12; i++) {
        settingIds.push((await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: UPSTREAM_SECRET, url: upstream.baseUrl }, name: `many-${i}` })).body.id);
      }
      await stack.admin('PUT', '/api/key-management/keys', { name: 'many settings', key: 'tg-many-settings-key', settingIds });
      // A process of its own: Node's warnings go to the real process's stderr, which Jest's sandbox does not see.
      const replica = await spawnGateway(stack.replicaEnv);
      try {
        const listed = await eventually(async () => {
          const response = await fetch(`${replica.proxyUrl}/v1/models`, { headers: { authorization: 'Bearer tg-many-settings-key' } });
          return response.status === 200 ? ((await response.json()) as { data: unknown[] }) : undefined;
        }, 5_000, 'the key with many settings');
        expect(listed.data.length).toBeGreaterThan(0);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(replica.process.lines.filter((line) => line.includes('MaxListenersExceededWarning'))).toEqual([]);
      } finally {
        await replica.stop();
      }
    });

    it('answers an upstream redirect 502 (it is not followed), billing nothing', async () => {
      const error = await sdk()
        .chat.completions.create({ model: 'redirect-307', messages: [{ role: 'user', content: 'Hi' }] }, withId('redirect-1'))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 502, code: 'upstream_unreachable', message: expect.stringContaining('redirect') });
      expect(await eventFor(stack, 'redirect-1')).toMatchObject({ status: 502, error_code: 'upstream_unreachable', token_count_estimated: false, prompt_token_count: 0 });
    });

    it('relays an upstream 5xx as an OpenAI error, wrapping non-JSON bodies', async () => {
      await expect(sdk().chat.completions.create({ model: 'fail-500', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({ status: 500 });
      const html = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'html-502', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(html.status).toBe(502);
      // A proxy's page is not the provider's answer: its text is the operator's (it may name hosts).
      expect(await html.json()).toEqual({ error: { message: expect.stringContaining('The upstream provider answered 502'), type: 'api_error', param: null, code: 'upstream_502' } });
    });

    it('answers 502 to a 200 with an empty body on chat, legacy completions and embeddings, never an empty success', async () => {
      for (const [path, body] of TOKEN_OPERATIONS) {
        const response = await postOperation(path, { model: 'empty-200', ...body }, `empty-200${path}`);
        expect([path, response.status, await response.json()]).toEqual([path, 502, { error: { message: 'the upstream provider sent an empty response', type: 'api_error', param: null, code: 'upstream_unreachable' } }]);
        expect(await eventFor(stack, `empty-200${path}`)).toMatchObject({ status: 502, error_code: 'upstream_unreachable' });
      }
      // So the SDK reads an error it knows, and retries it.
      await expect(sdk().chat.completions.create({ model: 'empty-200', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({ status: 502 });
    });

    it('answers a 200 whose body is an OpenAI error (a compatible server, an in-house proxy) as that error: recorded, billed nothing, counted as one', async () => {
      /** tollgate_proxy_requests_total for OpenAI's non-streamed exchanges answered with `status`. */
      const counted = async (status: number): Promise<number> => {
        const text = await (await fetch(`${stack.adminUrl}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith('tollgate_proxy_requests_total{') && l.includes('provider="openai"') && l.includes(`status="${status}"`) && l.includes('stream="false"'));
        return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      const before = await counted(502);
      for (const [path, body] of TOKEN_OPERATIONS) {
        const response = await postOperation(path, { model: 'error-200', ...body }, `error-200${path}`);
        // It names no status: a 502, the body as the upstream wrote it.
        expect([path, response.status, await response.json()]).toEqual([path, 502, { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } }]);
        expect(await eventFor(stack, `error-200${path}`)).toMatchObject({ status: 502, error_code: 'server_error', token_count_estimated: false, prompt_token_count: 0, completion_token_count: 0, cost_in_usd: 0 });
      }
      await eventually(async () => ((await counted(502)) - before === TOKEN_OPERATIONS.length ? true : undefined), 2_000, 'the exchanges counted as 502s');
      // One that names its status (Azure's code "429") is answered with it, so the SDK knows it for a rate limit.
      const limited = await sdk().chat.completions.create({ model: 'error-200-code-429', messages: [{ role: 'user', content: 'Hi' }] }, withId('error-200-code-429')).catch((e: unknown) => e);
      expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
      expect(limited).toMatchObject({ status: 429, code: '429', message: expect.stringContaining('exceeded token rate limit') });
      expect(await eventFor(stack, 'error-200-code-429')).toMatchObject({ status: 429, error_code: '429', cost_in_usd: 0 });
    });

    it('an OpenAI account out of credit (insufficient_quota) warns the operator, once per interval, as a refused credential does', async () => {
      const { settingId, chat } = await ownKey(upstream.baseUrl, 'tg-out-of-credit-key', 'out of credit');
      for (let i = 0; i < 4; i++) expect((await chat('fail-insufficient-quota')).status).toBe(429);
      const warnings = () => stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'upstream provider failing' && line.settingId === settingId);
      await eventually(async () => (warnings().length > 0 ? true : undefined), 2_000, 'the warning');
      expect(warnings()).toEqual([expect.objectContaining({ level: 40, provider: 'openai', code: 'insufficient_quota', status: 429, occurrences: 1 })]);
    });

    it('answers 504 when the upstream does not answer in time', async () => {
      const response = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': 'hang-1' },
        body: JSON.stringify({ model: 'hang', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(response.status).toBe(504);
      const body = await response.json();
      expect(body).toMatchObject({ error: { code: 'upstream_timeout', type: 'api_error' } });
      // The gateway's own error is what the client got, and so the logged response.
      expect(await eventFor(stack, 'hang-1')).toMatchObject({ status: 504, response: body });
    });

    it('logs one access line for a client that left before the answer (Fastify never finishes that response)', async () => {
      const controller = new AbortController();
      const sent = fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': 'left-1' },
        body: JSON.stringify({ model: 'hang', messages: [{ role: 'user', content: 'left-1' }] }),
        signal: controller.signal,
      });
      // Leaves once the gateway is waiting on the upstream (the fake never answers 'hang').
      const reachedUpstream = () => upstream.requests.some((request) => JSON.stringify(request.body?.messages ?? null).includes('left-1'));
      await eventually(async () => (reachedUpstream() ? true : undefined), 5_000, 'request at the upstream');
      controller.abort();
      await expect(sent).rejects.toThrow();
      const event = await eventFor(stack, 'left-1');
      expect(event.error_code).toBe('client_disconnected');
      // Give a late onResponse hook time to run: it must not add a second line.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lines = stack.logs.map((line) => JSON.parse(line) as { msg?: string; reqId?: string; error?: string }).filter((line) => line.msg === 'request completed' && line.reqId === event.id);
      expect(lines).toEqual([expect.objectContaining({ error: 'client_disconnected', path: '/v1/chat/completions' })]);
    });

    it('records a client that left while the answer\'s body was arriving as gone (and bills the estimate), not as an upstream failure', async () => {
      const controller = new AbortController();
      const sent = fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': 'left-body-1' },
        body: JSON.stringify({ model: 'slow-body', messages: [{ role: 'user', content: 'left while the body arrived' }] }),
        signal: controller.signal,
      });
      const reachedUpstream = () => upstream.requests.some((request) => JSON.stringify(request.body?.messages ?? null).includes('left while the body arrived'));
      await eventually(async () => (reachedUpstream() ? true : undefined), 5_000, 'request at the upstream');
      // The fake sent its headers with the request; give the gateway a moment to be reading the body.
      await new Promise((resolve) => setTimeout(resolve, 200));
      controller.abort();
      await expect(sent).rejects.toThrow();
      await eventually(async () => (upstream.abortedByClient.includes('slow-body') ? true : undefined), 5_000, 'upstream abort');
      const event = await eventFor(stack, 'left-body-1');
      expect(event).toMatchObject({ error_code: 'client_disconnected', token_count_estimated: true });
      expect(event.prompt_token_count).toBeGreaterThan(0);
      expect(stack.logs.join('\n')).not.toContain('"proxy failure"');
    });

    it('answers 502 when the upstream cannot be reached', async () => {
      const { settingId: closedId, chat: call } = await ownKey('http://127.0.0.1:9/v1', 'tg-unreachable-key', 'unreachable');
      const response = await call();
      expect(response.status).toBe(502);
      // The client learns what kind of failure it was, not where the provider lives: the
      // setting's address is the operator's (an in-house proxy, a private model server).
      const answer = (await response.json()) as { error: { message: string } };
      expect(answer).toMatchObject({ error: { code: 'upstream_unreachable', type: 'api_error', message: 'could not reach the upstream provider (ECONNREFUSED)' } });
      expect(answer.error.message).not.toContain('127.0.0.1');
      // The operator learns which provider fails and why (with the address): on the access line,
      // and in one warning per interval however many requests fail meanwhile.
      for (let i = 0; i < 5; i++) expect((await call()).status).toBe(502);
      const provider = 'openai';
      await eventually(async () => (stack.logs.some((line) => line.includes(response.headers.get('x-request-id')!) && line.includes('request completed')) ? true : undefined), 2_000, 'the access line');
      const parsed = stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(parsed.find((line) => line.msg === 'request completed' && line.reqId === response.headers.get('x-request-id'))).toMatchObject({ status: 502, provider, error: 'upstream_unreachable' });
      expect(parsed.filter((line) => line.msg === 'upstream provider failing' && line.settingId === closedId)).toEqual([
        expect.objectContaining({ level: 40, provider, code: 'upstream_unreachable', occurrences: 1, detail: expect.stringContaining('ECONNREFUSED 127.0.0.1:9') }),
      ]);
    });
  });

  it("a proxy's own error page in front of the provider: the client gets the status, the operator the page", async () => {
    const page = 'Error occurred while trying to proxy: llama.corp.internal:8000 (10.0.3.7): connect ECONNREFUSED';
    const proxy = createServer((_request, response) => response.writeHead(502, { 'content-type': 'text/plain' }).end(page));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { settingId, chat: call } = await ownKey(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`, 'tg-behind-proxy-key', 'behind a proxy');
      const response = await call();
      expect(response.status).toBe(502);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'upstream_502', type: 'api_error', message: expect.stringContaining('answered 502') } });
      expect(text).not.toMatch(/corp\.internal|10\.0\.3\.7/);
      await eventually(async () => (stack.logs.some((line) => line.includes('upstream provider failing') && line.includes(settingId)) ? true : undefined), 2_000, 'the warning');
      const warning = stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'upstream provider failing' && line.settingId === settingId);
      expect(warning).toMatchObject({ code: 'upstream_502', detail: `HTTP 502: ${page}` });
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('an upstream answer larger than UPSTREAM_MAX_RESPONSE_BYTES is a 502, not read whole into memory', async () => {
    // A misbehaving OpenAI-compatible server: 300 kB of answer (the stack reads 256 kB at most),
    // with its length declared, sent chunked without one, or gzipped small.
    const answer = JSON.stringify({ id: 'c1', object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(300 * 1024) }, finish_reason: 'stop' }] });
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url === '/declared/chat/completions') return void response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
        if (request.url === '/gzip/chat/completions') return void response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(answer));
        response.writeHead(200, { 'content-type': 'application/json' });
        for (let at = 0; at < answer.length; at += 16 * 1024) response.write(answer.slice(at, at + 16 * 1024));
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      for (const variant of ['declared', 'chunked', 'gzip']) {
        const { settingId, chat: call } = await ownKey(`http://127.0.0.1:${(server.address() as AddressInfo).port}/${variant}`, `tg-huge-answer-${variant}`);
        const response = await call('gpt-4o-mini', { 'x-custom-event-id': `huge-answer-${variant}` });
        expect([variant, response.status]).toEqual([variant, 502]);
        expect(await response.json()).toEqual({ error: { message: "the upstream provider's answer is larger than the gateway accepts", type: 'api_error', param: null, code: 'upstream_unreachable' } });
        expect(await eventFor(stack, `huge-answer-${variant}`)).toMatchObject({ status: 502, error_code: 'upstream_unreachable' });
        const warning = await eventually(
          async () => stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'upstream provider failing' && line.settingId === settingId),
          2_000,
          'the warning',
        );
        expect(warning).toMatchObject({ detail: `the upstream answer is larger than UPSTREAM_MAX_RESPONSE_BYTES (${256 * 1024} bytes)` });
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("an upstream error body larger than UPSTREAM_MAX_RESPONSE_BYTES is a 502 that keeps the upstream's retry advice", async () => {
    const page = 'x'.repeat(300 * 1024);
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url === '/advised/chat/completions') return void response.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '7', 'x-should-retry': 'true' }).end(page);
        if (request.url === '/busy/chat/completions') return void response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '7' }).end(page);
        response.writeHead(400, { 'content-type': 'text/plain' }).end(page);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      // What the SDK decides by: the upstream's own advice, else whether its status was worth a retry.
      for (const [variant, retryAfter, shouldRetry] of [
        ['advised', '7', 'true'],
        ['busy', '7', null],
        ['refused', null, 'false'],
      ] as const) {
        const { chat: call } = await ownKey(`http://127.0.0.1:${(server.address() as AddressInfo).port}/${variant}`, `tg-huge-error-${variant}`);
        const response = await call();
        expect([variant, response.status, response.headers.get('retry-after'), response.headers.get('x-should-retry')]).toEqual([variant, 502, retryAfter, shouldRetry]);
        expect(await response.json()).toMatchObject({ error: { message: "the upstream provider's answer is larger than the gateway accepts", code: 'upstream_unreachable' } });
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('never lets a credential reach logs, events or queue payloads', async () => {
    // Finished jobs are removed, so the queue is paused to read the job as the worker gets it.
    const queue = stack.eventsQueue();
    await queue.pause();
    let payload: string;
    try {
      const { response } = await sdk().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, withId('secrets-1')).withResponse();
      const job = await eventually(() => queue.getJob(response.headers.get('x-request-id')!), 5_000, 'event job enqueued');
      payload = JSON.stringify(job.data);
    } finally {
      await queue.resume();
    }
    await eventFor(stack, 'secrets-1');
    expect(payload).toContain('secrets-1');
    const events = JSON.stringify(await stack.sql('SELECT * FROM events'));
    const logs = stack.logs.join('\n');
    expect(logs).toContain('request completed');
    for (const secret of [UPSTREAM_SECRET, CLIENT_KEY]) {
      expect(payload).not.toContain(secret);
      expect(events).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
