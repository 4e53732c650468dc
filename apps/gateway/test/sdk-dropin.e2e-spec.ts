import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FAKE_ANTHROPIC_KEY, FAKE_COUNTED_INPUT_TOKENS, FakeAnthropic } from './support/fake-anthropic';
import { FakeOpenAI } from './support/fake-openai';
import { createKey, createSetting, eventFor } from './support/provider-e2e';
import { TestStack, startTestStack } from './support/test-stack';

const OPEN_KEY = 'tg-dropin-open-key';
const BUDGET_KEY = 'tg-dropin-budget-key';
const REFUSED_KEY = 'tg-dropin-refused-credential';
const HOURLY_KEY = 'tg-dropin-hourly-limit';
const PER_SECOND_KEY = 'tg-dropin-per-second-limit';

/**
 * What the official SDKs do through the gateway that they also do against the provider: read back
 * stored objects (free, whoever asks), follow the provider's retry advice, stop retrying what a
 * retry cannot fix, and reach Anthropic's token counting and model list.
 */
describe('SDK drop-in behaviour (e2e, official SDKs)', () => {
  let stack: TestStack;
  let openai: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let openKeyId: string;

  beforeAll(async () => {
    openai = new FakeOpenAI();
    anthropic = new FakeAnthropic();
    await Promise.all([openai.start(), anthropic.start()]);
    stack = await startTestStack();
    const openaiSetting = await createSetting(stack, 'openai', { apiKey: 'sk-upstream-secret', url: openai.baseUrl });
    const anthropicSetting = await createSetting(stack, 'anthropic', { apiKey: FAKE_ANTHROPIC_KEY, url: anthropic.baseUrl });
    openKeyId = await createKey(stack, OPEN_KEY, [openaiSetting, anthropicSetting]);
    await createKey(stack, BUDGET_KEY, [openaiSetting], { costLimitInUsd: 5 });
    const refused = await createSetting(stack, 'openai', { apiKey: 'sk-revoked-upstream-key', url: openai.baseUrl });
    await createKey(stack, REFUSED_KEY, [refused]);
    await createKey(stack, HOURLY_KEY, [openaiSetting], { rateLimitOverTime: 1, rateLimitUnit: 'h' });
    await createKey(stack, PER_SECOND_KEY, [openaiSetting], { rateLimitOverTime: 1, rateLimitUnit: 's' });
  });

  afterAll(async () => {
    await stack?.close();
    await Promise.all([openai?.stop(), anthropic?.stop()]);
  });

  const sdk = (apiKey = OPEN_KEY, maxRetries = 0) => new OpenAI({ apiKey, baseURL: `${stack.proxyUrl}/v1`, maxRetries });
  const withId = (customId: string) => ({ headers: { 'x-custom-event-id': customId } });
  const spentUsd = async (keyId: string) => Number((await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]))[0].spent_usd);

  it('reading a stored response back is free: only the request that made it is billed', async () => {
    const before = await spentUsd(openKeyId);
    const created = await sdk().responses.create({ model: 'gpt-4o-mini', input: 'Hi' }, withId('stored-create'));
    const read = await sdk().responses.retrieve(created.id, {}, withId('stored-read'));
    // The provider hands the stored object back, usage and all.
    expect(read.usage).toMatchObject({ input_tokens: 14, output_tokens: 3 });
    const [made, reread] = [await eventFor(stack, 'stored-create'), await eventFor(stack, 'stored-read')];
    expect(made).toMatchObject({ prompt_token_count: 14, completion_token_count: 3 });
    expect(made.cost_in_usd).toBeGreaterThan(0);
    expect(reread).toMatchObject({ method: 'GET', status: 200, prompt_token_count: 0, completion_token_count: 0, cost_in_usd: 0 });
    expect((await spentUsd(openKeyId)) - before).toBeCloseTo(made.cost_in_usd!, 10);
  });

  it('a key with a cost limit reads and deletes its stored objects (they run no model)', async () => {
    const created = await sdk(BUDGET_KEY).responses.create({ model: 'gpt-4o-mini', input: 'Hi' });
    const before = openai.requests.length;
    expect((await sdk(BUDGET_KEY).responses.retrieve(created.id)).id).toBe(created.id);
    expect(await sdk(BUDGET_KEY).responses.delete(created.id)).toMatchObject({ id: created.id, deleted: true });
    expect(openai.requests.slice(before).map((request) => `${request.method} ${request.path}`)).toEqual([`GET /v1/responses/${created.id}`, `DELETE /v1/responses/${created.id}`]);
  });

  it("follows the provider's x-should-retry: false, and its retry-after-ms rather than retry-after", async () => {
    const count = (model: string) => openai.requests.filter((request) => request.body?.model === model).length;
    // The key reaches two providers: its OpenAI models are named openai/<model>.
    const final = await sdk(OPEN_KEY, 2).chat.completions.create({ model: 'openai/fail-500-final', messages: [{ role: 'user', content: 'Hi' }] }).catch((error: unknown) => error);
    expect(final).toBeInstanceOf(OpenAI.InternalServerError);
    expect(count('fail-500-final')).toBe(1);

    const started = Date.now();
    const limited = await sdk(OPEN_KEY, 1).chat.completions.create({ model: 'openai/fail-429-ms', messages: [{ role: 'user', content: 'Hi' }] }).catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(count('fail-429-ms')).toBe(2);
    // 50 ms between the attempts, not retry-after's 20 s.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("follows the provider's x-should-retry: true on a status the SDK would not retry, within its retries", async () => {
    const count = () => openai.requests.filter((request) => request.body?.model === 'fail-400-should-retry').length;
    const error = await sdk(OPEN_KEY, 2).chat.completions.create({ model: 'openai/fail-400-should-retry', messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(count()).toBe(3);
  });

  it("an OpenAI account out of credit (429 insufficient_quota) reaches the SDK as OpenAI wrote it, and is not retried", async () => {
    const count = () => openai.requests.filter((request) => request.body?.model === 'fail-insufficient-quota').length;
    const error = await sdk(OPEN_KEY, 2).chat.completions.create({ model: 'openai/fail-insufficient-quota', messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('false');
    expect(count()).toBe(1);
  });

  it("a provider's retry-after past a minute fails at once, not retried, its retry-after kept for clients that schedule their own", async () => {
    const count = () => openai.requests.filter((request) => request.body?.model === 'fail-429-hour').length;
    const started = Date.now();
    // The SDK sleeps for whatever retry-after says: relayed as it came, an hour's wait held the caller for an hour.
    const limited = await settledWithin(sdk(OPEN_KEY, 2).chat.completions.create({ model: 'openai/fail-429-hour', messages: [{ role: 'user', content: 'Hi' }] }), 5_000);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Date.now() - started).toBeLessThan(5_000);
    const headers = (limited as InstanceType<typeof OpenAI.APIError>).headers!;
    expect([headers.get('x-should-retry'), headers.get('retry-after')]).toEqual(['false', '3600']);
    expect(count()).toBe(1);
  });

  it("a retry-after-ms of 0 beside an hour's retry-after fails at once: the SDK reads the 0 as unset and would wait out the hour", async () => {
    const count = () => openai.requests.filter((request) => request.body?.model === 'fail-429-ms-zero').length;
    const started = Date.now();
    const limited = await settledWithin(sdk(OPEN_KEY, 2).chat.completions.create({ model: 'openai/fail-429-ms-zero', messages: [{ role: 'user', content: 'Hi' }] }), 5_000);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Date.now() - started).toBeLessThan(5_000);
    const headers = (limited as InstanceType<typeof OpenAI.APIError>).headers!;
    expect([headers.get('x-should-retry'), headers.get('retry-after-ms'), headers.get('retry-after')]).toEqual(['false', '0', '3600']);
    expect(count()).toBe(1);
  });

  it('an upstream redirect (a provider setting to fix) is a 502 the SDK does not retry', async () => {
    const count = () => openai.requests.filter((request) => request.body?.model === 'redirect-307').length;
    const error = await sdk(OPEN_KEY, 2).chat.completions.create({ model: 'openai/redirect-307', messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'upstream_unreachable' });
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('false');
    expect(count()).toBe(1);
  });

  it('a refused stored credential is a 502 the SDK does not retry (as it never retries a 401)', async () => {
    const before = openai.requests.length;
    const error = await sdk(REFUSED_KEY, 2).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'upstream_auth_error' });
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('false');
    expect(openai.requests.length - before).toBe(1);
  });

  it("a key's rate limit the SDK can wait out is retried after retry-after; one that resets in an hour fails at once instead of holding the call", async () => {
    const ask = (apiKey: string) => sdk(apiKey, 2).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    // One request a second: the second waits the second out and goes through.
    await ask(PER_SECOND_KEY);
    await expect(ask(PER_SECOND_KEY)).resolves.toMatchObject({ object: 'chat.completion' });

    await ask(HOURLY_KEY);
    const started = Date.now();
    // The SDK sleeps for whatever retry-after says: an hour's wait held the caller for an hour.
    const limited = await settledWithin(ask(HOURLY_KEY), 5_000);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Date.now() - started).toBeLessThan(5_000);
    const headers = (limited as InstanceType<typeof OpenAI.APIError>).headers!;
    expect(headers.get('x-should-retry')).toBe('false');
    // The wait is still said, for clients that schedule their own retry.
    expect(Number(headers.get('retry-after'))).toBeGreaterThan(60);
  });

  it("an unknown model is OpenAI's model_not_found", async () => {
    const error = await sdk().models.retrieve('gpt-nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
  });

  it("the Anthropic SDK counts tokens and lists models through the native path, free", async () => {
    const client = new Anthropic({ apiKey: OPEN_KEY, baseURL: `${stack.proxyUrl}/api/providers/anthropic`, maxRetries: 0 });
    const before = anthropic.requests.length;
    const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] }, withId('count-tokens'));
    expect(counted).toEqual({ input_tokens: FAKE_COUNTED_INPUT_TOKENS });
    expect(await eventFor(stack, 'count-tokens')).toMatchObject({ status: 200, cost_in_usd: 0, prompt_token_count: 0, path: '/api/providers/anthropic/v1/messages/count_tokens' });
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models.length).toBeGreaterThan(0);
    const received = anthropic.requests.slice(before);
    expect(received.map((request) => [request.path, request.headers['x-api-key']])).toEqual([
      ['/v1/messages/count_tokens', FAKE_ANTHROPIC_KEY],
      ['/v1/models', FAKE_ANTHROPIC_KEY],
    ]);
  });
});

/**
 * What the call settled with (its error, if it failed), or 'still waiting' after `ms`: an SDK
 * sleeping out a long retry-after has not settled. The timer is cleared either way, so a passing
 * test leaves nothing running.
 */
async function settledWithin(call: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([call.catch((error: unknown) => error), new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
