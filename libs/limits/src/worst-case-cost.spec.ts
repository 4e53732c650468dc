import { CostCalculator, estimateTokens, mediaTokensOf } from '@tollgate/reporting';
import { asksForHourLongCache, worstCaseCostUsd } from './worst-case-cost';

describe('worstCaseCostUsd', () => {
  const calculator = new CostCalculator(() => ({ inputUsdPerMillionTokens: 1_000_000, outputUsdPerMillionTokens: 2_000_000 }));
  // With these prices a token costs $1 in and $2 out, so the result reads as token counts.

  it('reserves the counted prompt with overhead plus max_tokens per choice', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hello world' }], max_tokens: 10, n: 2 };
    // "hello world" = 2 tokens → ceil(2.2) = 3, + 4 per message + 16 = 23 in; 10 x 2 choices x $2 = 40 out.
    expect(worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body, generates: true, defaultMaxTokens: 99 })).toBe(23 + 40);
  });

  it('reads a max_tokens the body parser kept exact (past 2^53) as the huge number it is', () => {
    const rawJson = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;
    const body = { model: 'm', messages: [{ role: 'user', content: 'hello world' }], max_tokens: rawJson('100000000000000000000') };
    // 23 in, and an output bounded to 2^53 - 1 tokens at $2 (not the default's 99).
    expect(worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body, generates: true, defaultMaxTokens: 99 })).toBe(23 + 2 * Number.MAX_SAFE_INTEGER);
  });

  it('reads counts sent as text as the numbers lenient servers take them for (relayed bodies are not checked)', () => {
    const body = { model: 'm', prompt: 'hello world', max_tokens: '1000', n: ' 2 ' };
    // 3 + 1 message + 16 = 23 in (a prompt, no messages: 4 x 1); 1,000 x 2 choices x $2 out, not the default 99.
    expect(worstCaseCostUsd(calculator, { provider: 'vllm', model: 'm', body, generates: true, defaultMaxTokens: 99 })).toBe(23 + 4_000);
    // Text that is no number is no limit: the default applies.
    const junk = { ...body, max_tokens: 'lots', n: '' };
    expect(worstCaseCostUsd(calculator, { provider: 'vllm', model: 'm', body: junk, generates: true, defaultMaxTokens: 99 })).toBe(23 + 198);
  });

  it('falls back to the default max tokens, and reserves no output for embeddings', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hello world' }] };
    expect(worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body, generates: true, defaultMaxTokens: 5 })).toBe(23 + 10);
    expect(worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body: { input: 'hello world' }, generates: false, defaultMaxTokens: 5 })).toBe(3 + 4 + 16);
  });

  it('counts what the model reads besides the messages: tool definitions and earlier tool calls', () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city, in degrees Celsius', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const plain = { model: 'm', messages: [{ role: 'user', content: 'hello world' }], max_tokens: 0 };
    const withTools = { ...plain, tools, tool_choice: 'auto' };
    const toolsTokens = estimateTokens(JSON.stringify([tools, 'auto']));
    const base = worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body: plain, generates: true, defaultMaxTokens: 0 })!;
    expect(base).toBe(23);
    expect(worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body: withTools, generates: true, defaultMaxTokens: 0 })).toBe(Math.ceil((2 + toolsTokens) * 1.1) + 4 + 16);
    expect(toolsTokens).toBeGreaterThan(30);

    const call = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris, France, Europe"}' } };
    const conversation = {
      model: 'm',
      max_tokens: 0,
      messages: [
        { role: 'user', content: 'hello world' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: 'call_1', content: 'hello world' },
      ],
    };
    const callTokens = estimateTokens(JSON.stringify([[call], 'call_1']));
    expect(worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body: conversation, generates: true, defaultMaxTokens: 0 })).toBe(
      Math.ceil((estimateTokens('hello world\n\nhello world') + callTokens) * 1.1) + 3 * 4 + 16,
    );
  });

  it("counts the prompt and output cap of native APIs relayed as they are (Anthropic, Gemini, Responses)", () => {
    const worst = (body: Record<string, unknown>) => worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body, generates: true, defaultMaxTokens: 7 })!;
    const system = 'You are a terse assistant who answers in one word.';
    const anthropic = { model: 'm', system, messages: [{ role: 'user', content: 'hello world' }], max_tokens: 100 };
    expect(worst(anthropic)).toBe(Math.ceil((2 + estimateTokens(JSON.stringify([system]))) * 1.1) + 4 + 16 + 200);
    const contents = [{ role: 'user', parts: [{ text: 'hello world' }] }];
    const gemini = { contents, generationConfig: { maxOutputTokens: 50, candidateCount: 2 } };
    expect(worst(gemini)).toBe(Math.ceil(estimateTokens(JSON.stringify([contents])) * 1.1) + 4 + 16 + 2 * 50 * 2);
    const items = [{ role: 'user', content: [{ type: 'input_text', text: 'hello world' }] }];
    expect(worst({ model: 'm', input: items, max_output_tokens: 3 })).toBe(Math.ceil(estimateTokens(JSON.stringify([items])) * 1.1) + 4 + 16 + 6);
  });

  it('counts every prompt of a legacy completions list, token-id prompts, and best_of candidates', () => {
    const worst = (body: Record<string, unknown>) => worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body, generates: true, defaultMaxTokens: 7 })!;
    const one = worst({ model: 'm', prompt: 'hello world', max_tokens: 10 });
    // "hello world" = 2 tokens → ceil(2.2) = 3, + 4 + 16 = 23 in; 10 out x $2.
    expect(one).toBe(23 + 20);
    const prompts = Array.from({ length: 100 }, () => 'hello world');
    // 100 prompts: their text (joined by newlines) in, and max_tokens for each of them out.
    expect(worst({ model: 'm', prompt: prompts, max_tokens: 10 })).toBe(Math.ceil(estimateTokens(prompts.join('\n')) * 1.1) + 4 + 16 + 100 * 20);
    // Token ids count one each; one list of ids is one prompt, a list of lists is several.
    expect(worst({ model: 'm', prompt: [1, 2, 3, 4, 5], max_tokens: 10 })).toBe(5 + 4 + 16 + 20);
    expect(worst({ model: 'm', prompt: [[1, 2], [3, 4, 5]], max_tokens: 10 })).toBe(5 + 4 + 16 + 2 * 20);
    // best_of candidates are generated (and billed) even when n of them are returned.
    expect(worst({ model: 'm', prompt: 'hello world', max_tokens: 10, best_of: 5, n: 2 })).toBe(23 + 5 * 20);
    expect(worst({ model: 'm', prompt: ['hello world', 'hello world'], max_tokens: 10, n: 3 })).toBe(Math.ceil(estimateTokens('hello world\nhello world') * 1.1) + 4 + 16 + 2 * 3 * 20);
  });

  it('counts embeddings inputs given as lists of texts or of token ids, however long', () => {
    const worst = (body: Record<string, unknown>) => worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body, generates: false, defaultMaxTokens: 7 })!;
    expect(worst({ model: 'm', input: [[1, 2, 3], [4, 5]] })).toBe(5 + 4 + 16);
    // A million empty strings once overflowed the call stack (a spread); now they are just counted.
    expect(worst({ model: 'm', input: new Array(1_000_000).fill('') })).toBeGreaterThan(0);
  });

  it('returns null for an unpriced model', () => {
    const unpriced = new CostCalculator(() => undefined);
    expect(worstCaseCostUsd(unpriced, { provider: 'openai', model: 'nobody-prices-this', body: { messages: [] }, generates: true, defaultMaxTokens: 5 })).toBeNull();
  });
});

describe('worstCaseCostUsd against clients that send several limits or media', () => {
  const perToken = new CostCalculator(() => ({ inputUsdPerMillionTokens: 1_000_000, outputUsdPerMillionTokens: 2_000_000 }));
  const base = { provider: 'openai', model: 'm', generates: true, defaultMaxTokens: 1 };

  it('reserves the largest output limit when max_tokens and max_completion_tokens disagree', () => {
    const small = worstCaseCostUsd(perToken, { ...base, body: { messages: [], max_tokens: 1 } })!;
    const both = worstCaseCostUsd(perToken, { ...base, body: { messages: [], max_tokens: 1, max_completion_tokens: 1_000 } })!;
    expect(both - small).toBe((1_000 - 1) * 2);
  });

  it("reserves the default output for a limit of 0, which Gemini's native API reads as unset", () => {
    const withDefault = { ...base, defaultMaxTokens: 500 };
    const unset = worstCaseCostUsd(perToken, { ...withDefault, body: { contents: [] } })!;
    expect(worstCaseCostUsd(perToken, { ...withDefault, body: { contents: [], generationConfig: { maxOutputTokens: 0 } } })).toBe(unset);
    expect(worstCaseCostUsd(perToken, { ...withDefault, body: { messages: [], max_tokens: 0 } })).toBe(worstCaseCostUsd(perToken, { ...withDefault, body: { messages: [] } }));
  });

  it('counts images and documents that the text count misses', () => {
    const text = worstCaseCostUsd(perToken, { ...base, body: { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] } })!;
    const withImage = worstCaseCostUsd(perToken, {
      ...base,
      body: { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] },
    })!;
    expect(withImage - text).toBe(4_000);
  });

  it('reserves the prompt at the dearest rate it may be billed at: cache writes above the input price', () => {
    const contract = new CostCalculator(() => ({ inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15, cacheReadUsdPerMillionTokens: 0.3, cacheWriteUsdPerMillionTokens: 3.75 }));
    const document = 'The quick brown fox jumps over the lazy dog. '.repeat(2_000);
    const body = { messages: [{ role: 'user', content: document }], max_tokens: 1 };
    const reserved = worstCaseCostUsd(contract, { ...base, provider: 'anthropic', model: 'claude-contract', body, generates: true })!;
    // What the provider may then report: the whole prompt (with some framing) written to the cache.
    const prompt = estimateTokens(document) + 10;
    expect(contract.price('anthropic', 'claude-contract', prompt, 1, { writeTokens: prompt }).costUsd!).toBeLessThanOrEqual(reserved);
  });

  it('reserves images at the input rate, not the audio rate of a model that has one (gemini-2.5-flash: $0.30 text, $1 audio)', () => {
    const table = new CostCalculator(() => undefined);
    const image = { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } };
    const body = { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, image] }], max_tokens: 1 };
    const reserved = worstCaseCostUsd(table, { provider: 'gemini', model: 'gemini-2.5-flash', body, generates: true, defaultMaxTokens: 1 })!;
    const mediaTokens = mediaTokensOf(body);
    expect(reserved).toBeLessThan(table.price('gemini', 'gemini-2.5-flash', mediaTokens, 1, { inputAudioTokens: mediaTokens }).costUsd!);
    expect(reserved).toBeGreaterThanOrEqual(table.price('gemini', 'gemini-2.5-flash', mediaTokens, 1).costUsd!);
  });

  it('reserves audio a request may send or ask for at the audio rates (gpt-audio: $32 in, $64 out per million, text $2.50 and $10)', () => {
    const table = new CostCalculator(() => undefined);
    const audio = { type: 'input_audio', input_audio: { data: 'UklGRg=='.repeat(500), format: 'wav' } };
    const reserve = (body: Record<string, unknown>) => worstCaseCostUsd(table, { ...base, model: 'gpt-audio', body })!;
    // Sending audio: what the media count bounds of the prompt may be billed as audio.
    const sent = { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, audio] }], max_tokens: 10 };
    const mediaTokens = mediaTokensOf(sent);
    expect(table.price('openai', 'gpt-audio', mediaTokens, 10, { inputAudioTokens: mediaTokens }).costUsd!).toBeLessThanOrEqual(reserve(sent));
    // Asking for audio: the whole output may be audio.
    const asked = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1_000, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } };
    expect(table.price('openai', 'gpt-audio', 0, 1_000, { outputAudioTokens: 1_000 }).costUsd!).toBeLessThanOrEqual(reserve(asked));
    // Text only, neither: reserved at the text rates.
    const text = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1_000 };
    expect(reserve(text)).toBeLessThan(table.price('openai', 'gpt-audio', 0, 1_000, { outputAudioTokens: 1_000 }).costUsd!);
  });

  it('reserves a native Anthropic prompt that asks for a one-hour cache at the one-hour write rate (twice the input price)', () => {
    const contract = new CostCalculator(() => ({ inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15, cacheReadUsdPerMillionTokens: 0.3, cacheWriteUsdPerMillionTokens: 3.75 }));
    const document = 'The quick brown fox jumps over the lazy dog. '.repeat(2_000);
    const block = (ttl?: string) => ({ type: 'text', text: document, cache_control: { type: 'ephemeral', ...(ttl ? { ttl } : {}) } });
    const reserve = (system: unknown, native = true) => {
      const body = { system, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 };
      return worstCaseCostUsd(contract, { ...base, provider: 'anthropic', model: 'claude-contract', body, generates: true, hourLongCacheWrites: native && asksForHourLongCache(body) })!;
    };
    const prompt = estimateTokens(document) + 10;
    const billedHourLong = contract.price('anthropic', 'claude-contract', prompt, 1, { writeTokens: prompt, write1hTokens: prompt }).costUsd!;
    expect(billedHourLong).toBeLessThanOrEqual(reserve([block('1h')]));
    // Five-minute writes (the default) are not reserved at the hour's rate.
    expect(reserve([block()])).toBeLessThan(billedHourLong);
    expect(reserve([block('5m')])).toBeLessThan(billedHourLong);
    // Translated (its body rebuilt without cache_control) or any other provider: no one-hour writes.
    expect(reserve([block('1h')], false)).toBeLessThan(billedHourLong);
  });

  it('finds a one-hour cache_control anywhere in a body, and assumes one in a body too large to look through', () => {
    expect(asksForHourLongCache({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '1h' } }] }] })).toBe(true);
    expect(asksForHourLongCache({ tools: [{ name: 't', input_schema: {}, cache_control: { type: 'ephemeral', ttl: '1h' } }] })).toBe(true);
    expect(asksForHourLongCache({ cache_control: { type: 'ephemeral', ttl: '1h' }, messages: [] })).toBe(true);
    expect(asksForHourLongCache({ messages: [{ role: 'user', content: [{ type: 'text', text: '1h', cache_control: { type: 'ephemeral' } }] }], ttl: '1h' })).toBe(false);
    expect(asksForHourLongCache({ messages: Array.from({ length: 200_000 }, () => ({ role: 'user', content: 'x' })) })).toBe(true);
  });

  it("counts what Anthropic's tool calls and tool results put in the prompt", () => {
    const big = 'The quick brown fox jumps over the lazy dog. '.repeat(2_000);
    const body = {
      max_tokens: 1,
      messages: [
        { role: 'user', content: 'look it up' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'search', input: { query: big } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: big }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: big }] }] },
      ],
    };
    const reservedTokens = worstCaseCostUsd(perToken, { ...base, body, generates: true })!;
    expect(reservedTokens).toBeGreaterThan(3 * estimateTokens(big));
  });
});
