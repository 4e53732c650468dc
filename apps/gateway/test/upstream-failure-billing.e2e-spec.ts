import Redis from 'ioredis';
import { LimitKeys } from '@tollgate/limits';
import { estimateTokens } from '@tollgate/reporting';
import { FakeOpenAI } from './support/fake-openai';
import { StoredEvent, eventFor, sseDataOf } from './support/provider-e2e';
import { chat, issueKey } from './support/proxy-client';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/** gpt-4o-mini list prices, USD per token: $0.15 and $0.60 per million. */
const GPT_4O_MINI = { input: 0.15 / 1e6, output: 0.6 / 1e6 };

const PROMPT = 'Summarise the history of the Roman Empire, from the founding of the city to the fall of Constantinople.';
/** What the worker counts for PROMPT as one user message: its text, 4 tokens of framing, 3 priming the reply. */
const PROMPT_TOKENS = estimateTokens(PROMPT) + 4 + 3;

/**
 * A provider bills a prompt once it has read it, answered or not: a request that failed after it
 * was sent (a timeout, a dropped connection, a client that left, a stream cut midway) is recorded
 * with its status and error, its tokens estimated and priced, and its cost added to the key's
 * spend, so budgets see it. One that never left the gateway costs nothing.
 */
describe('upstream failures after the request was sent are billed as estimates (e2e)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  let redis: Redis;
  let settingId: string;
  let unreachableSettingId: string;

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    stack = await startTestStack({ UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '500', UPSTREAM_TOTAL_TIMEOUT_MS: '2000' });
    redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
    settingId = (await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } })).body.id;
    // Nothing listens on the discard port: the connection is refused before anything is sent.
    unreachableSettingId = (await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: 'http://127.0.0.1:9/v1' }, name: 'refused' })).body.id;
    // The fake's failure models, priced as gpt-4o-mini.
    for (const model of ['drop-connection', 'stream-break', 'slow-stream']) {
      expect((await stack.admin('PUT', '/api/model-prices', { provider: 'openai', model, inputUsdPerMillionTokens: 0.15, outputUsdPerMillionTokens: 0.6 })).status).toBe(200);
    }
  });

  afterAll(async () => {
    redis?.disconnect();
    await stack?.close();
    await upstream?.stop();
  });

  beforeEach(() => {
    upstream.responseDelayMs = 0;
  });

  /** A fresh key with a budget, so the spend lands in the limit counters too. */
  const budgetedKey = (settingIds = [settingId]) => issueKey(stack.admin, [stack.proxyUrl], 'failure-billing', settingIds, { costLimitInUsd: 1 });

  const reachedUpstream = (text: string) => upstream.requests.some((request) => JSON.stringify(request.body?.messages ?? null).includes(text));

  /**
   * The key's spend in nano-USD, once its reservations are all settled: Postgres's total (the
   * key row) and the budget counter in Redis, which must agree with the sum of its events.
   */
  const settledSpendNano = async (keyId: string): Promise<number> => {
    const limitKeys = new LimitKeys(stack.queuePrefix);
    const reservations = limitKeys.reservations('key', keyId);
    await eventually(async () => ((await redis.zcard(reservations.setKey)) === 0 ? true : undefined), 5_000, 'reservations released');
    const [events] = await stack.sql<{ spent: string }>('SELECT COALESCE(SUM(cost_in_usd), 0) AS spent FROM events WHERE key_id = $1', [keyId]);
    const [key] = await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]);
    const redisNano = Number((await redis.get(limitKeys.lifetimeSpent('key', keyId))) ?? 0);
    const eventsNano = Math.round(Number(events.spent) * 1e9);
    expect({ key: Math.round(Number(key.spent_usd) * 1e9), redis: redisNano }).toEqual({ key: eventsNano, redis: eventsNano });
    return eventsNano;
  };

  /** The event is an estimate of the prompt alone (no answer came), priced as gpt-4o-mini. */
  const expectPromptEstimate = (event: StoredEvent) => {
    expect(event).toMatchObject({ token_count_estimated: true, prompt_token_count: PROMPT_TOKENS, completion_token_count: 0, price_known: true });
    expect(event.cost_in_usd).toBeCloseTo(PROMPT_TOKENS * GPT_4O_MINI.input, 15);
  };

  it('a first-byte timeout (504): the prompt is billed as an estimate, and the key spends it', async () => {
    const { key, keyId } = await budgetedKey();
    // The provider reads the prompt, then thinks past UPSTREAM_FIRST_BYTE_TIMEOUT_MS.
    upstream.responseDelayMs = 1_500;
    const response = await chat(stack.proxyUrl, key, { messages: [{ role: 'user', content: PROMPT }] }, { 'x-custom-event-id': 'first-byte-timeout' });
    expect([response.status, response.body.error.code]).toEqual([504, 'upstream_timeout']);
    expect(reachedUpstream(PROMPT)).toBe(true);
    const event = await eventFor(stack, 'first-byte-timeout');
    expect(event).toMatchObject({ status: 504, error_code: 'upstream_timeout', model: 'gpt-4o-mini' });
    expectPromptEstimate(event);
    expect(event.cost_in_usd).toBeGreaterThan(0);
    expect(await settledSpendNano(keyId)).toBe(Math.round(Number(event.cost_in_usd) * 1e9));
  });

  it('a connection the provider drops after reading the request (502): billed as an estimate too', async () => {
    const { key, keyId } = await budgetedKey();
    const response = await chat(stack.proxyUrl, key, { model: 'drop-connection', messages: [{ role: 'user', content: PROMPT }] }, { 'x-custom-event-id': 'dropped' });
    expect([response.status, response.body.error.code]).toEqual([502, 'upstream_unreachable']);
    const event = await eventFor(stack, 'dropped');
    expect(event).toMatchObject({ status: 502, error_code: 'upstream_unreachable' });
    expectPromptEstimate(event);
    expect(await settledSpendNano(keyId)).toBe(Math.round(Number(event.cost_in_usd) * 1e9));
  });

  it('a client that leaves while the provider is still thinking: billed as an estimate', async () => {
    const { key, keyId } = await budgetedKey();
    upstream.responseDelayMs = 1_500;
    const marker = `${PROMPT} (left)`;
    const controller = new AbortController();
    const sent = fetch(`${stack.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-custom-event-id': 'client-left' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: marker }] }),
      signal: controller.signal,
    });
    await eventually(async () => (reachedUpstream(marker) ? true : undefined), 5_000, 'request at the upstream');
    controller.abort();
    await expect(sent).rejects.toThrow();
    const event = await eventFor(stack, 'client-left');
    expect(event).toMatchObject({ error_code: 'client_disconnected', token_count_estimated: true, prompt_token_count: estimateTokens(marker) + 7, completion_token_count: 0 });
    expect(event.cost_in_usd).toBeGreaterThan(0);
    expect(await settledSpendNano(keyId)).toBe(Math.round(Number(event.cost_in_usd) * 1e9));
  });

  it('a stream the provider breaks midway: the prompt and the text relayed so far are billed as estimates', async () => {
    const { key, keyId } = await budgetedKey();
    const response = await chat(stack.proxyUrl, key, { model: 'stream-break', stream: true, messages: [{ role: 'user', content: PROMPT }] }, { 'x-custom-event-id': 'stream-broke' });
    // The stream began (200); the break is told in a final error frame.
    expect(response.status).toBe(200);
    expect(String(response.body)).toContain('"upstream_unreachable"');
    const event = await eventFor(stack, 'stream-broke');
    // The fake relays "Hel" and then cuts the connection; the answer names the dated snapshot.
    expect(event).toMatchObject({ status: 200, stream: true, error_code: 'upstream_unreachable', model: 'gpt-4o-mini-2024-07-18', token_count_estimated: true, prompt_token_count: PROMPT_TOKENS, completion_token_count: estimateTokens('Hel') });
    expect(event.cost_in_usd).toBeCloseTo(PROMPT_TOKENS * GPT_4O_MINI.input + estimateTokens('Hel') * GPT_4O_MINI.output, 15);
    expect(await settledSpendNano(keyId)).toBe(Math.round(Number(event.cost_in_usd) * 1e9));
  });

  it('a stream cut by the total timeout: the prompt and the text relayed so far are billed as estimates', async () => {
    const { key, keyId } = await budgetedKey();
    // One chunk every 100 ms for 5 s, past UPSTREAM_TOTAL_TIMEOUT_MS (2 s).
    const response = await chat(stack.proxyUrl, key, { model: 'slow-stream', stream: true, messages: [{ role: 'user', content: PROMPT }] }, { 'x-custom-event-id': 'stream-timed-out' });
    expect(response.status).toBe(200);
    const frames = sseDataOf(String(response.body));
    expect(frames[frames.length - 1]).toMatchObject({ error: { code: 'upstream_timeout' } });
    const relayed = frames.map((frame) => (frame === '[DONE]' ? '' : ((frame.choices as Array<{ delta?: { content?: string } }> | undefined)?.[0]?.delta?.content ?? ''))).join('');
    expect(relayed).toMatch(/^t0 t1 t2 /);
    const event = await eventFor(stack, 'stream-timed-out');
    expect(event).toMatchObject({ status: 200, stream: true, error_code: 'upstream_timeout', token_count_estimated: true, prompt_token_count: PROMPT_TOKENS, completion_token_count: estimateTokens(relayed) });
    expect(event.cost_in_usd).toBeCloseTo(PROMPT_TOKENS * GPT_4O_MINI.input + estimateTokens(relayed) * GPT_4O_MINI.output, 15);
    expect(await settledSpendNano(keyId)).toBe(Math.round(Number(event.cost_in_usd) * 1e9));
  });

  it('a connection refused before anything was sent (502) costs nothing, and the reservation is released', async () => {
    const { key, keyId } = await budgetedKey([unreachableSettingId]);
    const response = await chat(stack.proxyUrl, key, { messages: [{ role: 'user', content: PROMPT }] }, { 'x-custom-event-id': 'refused' });
    expect([response.status, response.body.error.message]).toEqual([502, 'could not reach the upstream provider (ECONNREFUSED)']);
    const event = await eventFor(stack, 'refused');
    expect(event).toMatchObject({ status: 502, error_code: 'upstream_unreachable', token_count_estimated: false, prompt_token_count: 0, completion_token_count: 0, cost_in_usd: 0 });
    expect(await settledSpendNano(keyId)).toBe(0);
  });

  it('a request the gateway refuses itself (over its budget) costs nothing', async () => {
    const { key, keyId } = await issueKey(stack.admin, [stack.proxyUrl], 'failure-billing', [settingId], { costLimitInUsd: 0.000001 });
    const upstreamCalls = upstream.requests.length;
    const response = await chat(stack.proxyUrl, key, { messages: [{ role: 'user', content: PROMPT }] }, { 'x-custom-event-id': 'refused-by-budget' });
    expect([response.status, response.body.error.code]).toEqual([429, 'cost_limit_exceeded']);
    expect(upstream.requests.length).toBe(upstreamCalls);
    const event = await eventFor(stack, 'refused-by-budget');
    expect(event).toMatchObject({ status: 429, token_count_estimated: false, prompt_token_count: 0, cost_in_usd: 0 });
    expect(await settledSpendNano(keyId)).toBe(0);
  });
});
