import OpenAI from 'openai';
import { estimateTokens } from '@tollgate/reporting';
import { FAKE_ANTHROPIC_CUT_TEXT, FAKE_ANTHROPIC_KEY, FAKE_ANTHROPIC_USAGE, FakeAnthropic } from './support/fake-anthropic';
import { FAKE_GEMINI_API_KEY, FakeGemini } from './support/fake-gemini';
import { FakeOpenAI } from './support/fake-openai';
import { createKey, createSetting, eventFor } from './support/provider-e2e';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/**
 * The official openai SDK against /v1, reaching Anthropic and Gemini models through the gateway's
 * translation: by `provider/model` and by bare names, streamed and not, with system prompts,
 * tools, images, errors, and usage priced into the event.
 */

const CLIENT_KEY = 'tg-translated-e2e-key';
const BAD_CREDENTIAL_KEY = 'tg-translated-bad-credential';
const MODELS_KEY = 'tg-translated-models-key';

/** List prices (USD per token), looked up on the providers' pricing pages, not in the gateway's table. */
const CLAUDE_SONNET_4_5 = { input: 3 / 1e6, output: 15 / 1e6 };
const GEMINI_2_5_FLASH = { input: 0.3 / 1e6, output: 2.5 / 1e6 };
const GEMINI_EMBEDDING_001 = { input: 0.15 / 1e6 };

const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const IMAGE_URL = 'https://images.example.com/cat.png';

const WEATHER_TOOL: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('Anthropic and Gemini behind /v1 (e2e, official openai SDK)', () => {
  let stack: TestStack;
  let openaiUpstream: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let gemini: FakeGemini;
  let keyId: string;
  let listedAnthropic: string;
  let anthropicSetting: string;

  beforeAll(async () => {
    openaiUpstream = new FakeOpenAI();
    anthropic = new FakeAnthropic();
    gemini = new FakeGemini();
    await Promise.all([openaiUpstream.start(), anthropic.start(), gemini.start()]);
    // A budget assumes far less output than Anthropic's default: the reservation must follow the
    // maximum the translation actually sends.
    stack = await startTestStack({ ANTHROPIC_DEFAULT_MAX_TOKENS: '1024', BUDGET_DEFAULT_MAX_TOKENS: '16' });
    const openaiSetting = await createSetting(stack, 'openai', { apiKey: 'sk-upstream-secret', url: openaiUpstream.baseUrl });
    anthropicSetting = await createSetting(stack, 'anthropic', { apiKey: FAKE_ANTHROPIC_KEY, url: anthropic.baseUrl });
    const geminiSetting = await createSetting(stack, 'gemini', { apiKey: FAKE_GEMINI_API_KEY, url: gemini.baseUrl });
    keyId = await createKey(stack, CLIENT_KEY, [openaiSetting, anthropicSetting, geminiSetting]);

    const badAnthropic = await createSetting(stack, 'anthropic', { apiKey: 'sk-ant-revoked', url: anthropic.baseUrl });
    const badGemini = await createSetting(stack, 'gemini', { apiKey: 'gemini-revoked', url: gemini.baseUrl });
    await createKey(stack, BAD_CREDENTIAL_KEY, [badAnthropic, badGemini]);

    listedAnthropic = await createSetting(stack, 'anthropic', { apiKey: FAKE_ANTHROPIC_KEY, url: anthropic.baseUrl }, { allowedModels: ['claude-sonnet-4-5', 'claude-haiku-4-5'] });
    const listedGemini = await createSetting(stack, 'gemini', { apiKey: FAKE_GEMINI_API_KEY, url: gemini.baseUrl }, { allowedModels: ['gemini-2.5-flash'] });
    await createKey(stack, MODELS_KEY, [openaiSetting, listedAnthropic, listedGemini]);
  });

  afterAll(async () => {
    await stack?.close();
    await Promise.all([openaiUpstream?.stop(), anthropic?.stop(), gemini?.stop()]);
  });

  const sdk = (apiKey = CLIENT_KEY) => new OpenAI({ apiKey, baseURL: `${stack.proxyUrl}/v1`, maxRetries: 0 });
  const withId = (customId: string) => ({ headers: { 'x-custom-event-id': customId } });
  const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error as InstanceType<typeof OpenAI.APIError>);
  const chunksOf = async (stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>) => {
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  };
  /** Reads a stream that should end in an error: the text it carried first, and the error. */
  const untilError = async (stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>) => {
    const content: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) content.push(chunk.choices[0]?.delta?.content ?? '');
    })().then(() => null, (e: unknown) => e);
    return { text: content.join(''), error };
  };

  describe('Anthropic', () => {
    it.each([
      ['anthropic/claude-sonnet-4-5', 'prefixed'],
      ['claude-sonnet-4-5', 'bare'],
    ])('%s (%s): the answer, the hoisted system prompt, the upstream request, the priced event', async (model, label) => {
      const before = anthropic.requests.length;
      const { data: completion, response } = await sdk()
        .chat.completions.create(
          {
            model,
            messages: [
              { role: 'system', content: 'You are terse.' },
              { role: 'user', content: 'Hi' },
              { role: 'user', content: 'there' },
            ],
            temperature: 0.5,
            stop: ['END'],
            logit_bias: { '50256': -100 },
            seed: 7,
          },
          withId(`anthropic-chat-${label}`),
        )
        .withResponse();
      expect(anthropic.requests.length).toBe(before + 1);
      expect(completion).toMatchObject({
        id: 'msg_fake01',
        object: 'chat.completion',
        model: 'claude-sonnet-4-5',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! (system: You are terse.)' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
      });

      const received = anthropic.lastRequest();
      expect(received.path).toBe('/v1/messages');
      expect(received.headers['x-api-key']).toBe(FAKE_ANTHROPIC_KEY);
      expect(received.headers['anthropic-version']).toBe('2023-06-01');
      expect(received.headers.authorization).toBeUndefined();
      expect(JSON.stringify(received.headers)).not.toContain(CLIENT_KEY);
      // System hoisted, consecutive user turns merged, OpenAI-only fields dropped, max_tokens defaulted.
      expect(received.body).toEqual({
        model: 'claude-sonnet-4-5',
        system: 'You are terse.',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'text', text: 'there' }] }],
        max_tokens: 1024,
        temperature: 0.5,
        stop_sequences: ['END'],
      });

      const event = await eventFor(stack, `anthropic-chat-${label}`);
      expect(event).toMatchObject({
        id: response.headers.get('x-request-id'),
        key_id: keyId,
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        status: 200,
        stream: false,
        path: '/v1/chat/completions',
        prompt_token_count: FAKE_ANTHROPIC_USAGE.text.input_tokens,
        completion_token_count: FAKE_ANTHROPIC_USAGE.text.output_tokens,
        token_count_estimated: false,
        price_known: true,
        error_code: null,
      });
      expect(event.cost_in_usd).toBeCloseTo(12 * CLAUDE_SONNET_4_5.input + 6 * CLAUDE_SONNET_4_5.output, 12);
    });

    it("a budget reserves the max_tokens the translation sends when the client sets none (ANTHROPIC_DEFAULT_MAX_TOKENS, not the budget's default)", async () => {
      // claude-sonnet-4-5 at $15 per million output tokens: 1,024 of them cost $0.0154, 16 cost $0.00024.
      await createKey(stack, 'tg-anthropic-budget', [anthropicSetting], { costLimitInUsd: 0.005 });
      const chat = (extra: Record<string, unknown>) =>
        failure(sdk('tg-anthropic-budget').chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'Write a lot' }], ...extra }));
      const before = anthropic.requests.length;
      expect(await chat({})).toMatchObject({ status: 429, code: 'cost_limit_exceeded' });
      // Limits the translation does not read (other APIs' names for it) bound nothing: the default is sent all the same.
      for (const foreign of [{ max_output_tokens: 1 }, { max_tokens_to_sample: 1 }, { generationConfig: { maxOutputTokens: 1 } }]) {
        expect(await chat(foreign)).toMatchObject({ status: 429, code: 'cost_limit_exceeded' });
      }
      expect(anthropic.requests.length).toBe(before);
      // A maximum the budget can hold is admitted, and sent as the client set it.
      expect(await chat({ max_tokens: 50 })).toBeNull();
      expect(anthropic.lastRequest().body).toMatchObject({ max_tokens: 50 });
    });

    it('streams chunks in order, without a usage chunk unless asked, and prices the stream', async () => {
      const stream = await sdk().chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('anthropic-stream'));
      const chunks = await chunksOf(stream);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.length).toBeGreaterThan(3);
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello!');
      expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0].finish_reason)).toEqual(['stop']);
      expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === 'msg_fake02' && c.choices.length === 1)).toBe(true);
      expect(chunks.some((c) => c.usage)).toBe(false);
      expect(anthropic.lastRequest().body).toMatchObject({ stream: true, model: 'claude-sonnet-4-5' });

      const event = await eventFor(stack, 'anthropic-stream');
      expect(event).toMatchObject({
        stream: true,
        status: 200,
        provider: 'anthropic',
        prompt_token_count: FAKE_ANTHROPIC_USAGE.stream.input_tokens,
        completion_token_count: FAKE_ANTHROPIC_USAGE.stream.output_tokens,
        token_count_estimated: false,
        error_code: null,
      });
      expect(event.cost_in_usd).toBeCloseTo(11 * CLAUDE_SONNET_4_5.input + 4 * CLAUDE_SONNET_4_5.output, 12);
      expect(String(event.response)).toContain('data: [DONE]');
    });

    it('ends the stream with the usage chunk when stream_options.include_usage is set', async () => {
      const stream = await sdk().chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = await chunksOf(stream);
      const last = chunks[chunks.length - 1];
      expect(last.choices).toEqual([]);
      expect(last.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
      expect(chunks.slice(0, -1).every((c) => !c.usage)).toBe(true);
      // stream_options is OpenAI's: it never reaches Anthropic (the fake would 400 on it).
      expect(anthropic.lastRequest().body).not.toHaveProperty('stream_options');
    });

    it('tools: tool_use becomes tool_calls; the tool result goes back as tool_result', async () => {
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const completion = await sdk().chat.completions.create({ model: 'claude-sonnet-4-5', messages, tools: [WEATHER_TOOL], tool_choice: 'auto' }, withId('anthropic-tools'));
      const choice = completion.choices[0];
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBe('Let me check the weather.');
      expect(choice.message.tool_calls).toEqual([{ id: 'toolu_fake01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
      expect(anthropic.lastRequest().body).toMatchObject({
        tools: [{ name: 'get_weather', description: 'Current weather for a city', input_schema: WEATHER_TOOL.function.parameters }],
        tool_choice: { type: 'auto' },
      });
      const event = await eventFor(stack, 'anthropic-tools');
      expect(event).toMatchObject({ prompt_token_count: 350, completion_token_count: 40 });
      expect(event.cost_in_usd).toBeCloseTo(350 * CLAUDE_SONNET_4_5.input + 40 * CLAUDE_SONNET_4_5.output, 12);

      const followUp = await sdk().chat.completions.create({
        model: 'claude-sonnet-4-5',
        tools: [WEATHER_TOOL],
        messages: [...messages, choice.message as OpenAI.Chat.ChatCompletionMessageParam, { role: 'tool', tool_call_id: 'toolu_fake01', content: '{"temp_c":21}' }],
      });
      expect(followUp.choices[0].message.content).toBe('Hello!');
      expect(anthropic.lastRequest().body!.messages).toEqual([
        { role: 'user', content: 'What is the weather in Paris?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me check the weather.' },
            { type: 'tool_use', id: 'toolu_fake01', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake01', content: '{"temp_c":21}' }] },
      ]);
    });

    it('streamed tools: the SDK assembles the tool call from its argument deltas', async () => {
      const stream = sdk().chat.completions.stream(
        { model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [WEATHER_TOOL] },
        withId('anthropic-stream-tools'),
      );
      const argumentDeltas: string[] = [];
      stream.on('chunk', (chunk) => {
        for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) if (call.function?.arguments) argumentDeltas.push(call.function.arguments);
      });
      const final = await stream.finalChatCompletion();
      expect(argumentDeltas.length).toBeGreaterThan(1);
      const choice = final.choices[0];
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBe('Let me check the weather.');
      expect(choice.message.tool_calls).toEqual([{ id: 'toolu_fake02', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }]);
      expect(JSON.parse((choice.message.tool_calls![0] as { function: { arguments: string } }).function.arguments)).toEqual({ city: 'Paris' });
      const event = await eventFor(stack, 'anthropic-stream-tools');
      expect(event).toMatchObject({ stream: true, prompt_token_count: 340, completion_token_count: 38, token_count_estimated: false });
    });

    it('images: data URLs become base64 sources, http URLs url sources', async () => {
      await sdk().chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare these' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
              { type: 'image_url', image_url: { url: IMAGE_URL, detail: 'high' } },
            ],
          },
        ],
      });
      expect(anthropic.lastRequest().body!.messages).toEqual([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
            { type: 'image', source: { type: 'url', url: IMAGE_URL } },
          ],
        },
      ]);
    });

    it('429 keeps its status and retry-after; 529 overloaded becomes 503', async () => {
      const limited = await failure(sdk().chat.completions.create({ model: 'anthropic/fail-429', messages: [{ role: 'user', content: 'Hi' }] }, withId('anthropic-429')));
      expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
      expect(limited).toMatchObject({ status: 429, code: 'rate_limit_error', type: 'rate_limit_error' });
      expect(limited!.headers?.get('retry-after')).toBe('7');
      expect(await eventFor(stack, 'anthropic-429')).toMatchObject({ status: 429, error_code: 'rate_limit_error', provider: 'anthropic', prompt_token_count: 0, cost_in_usd: 0 });
      // Asked as a stream, the error comes before any event: a plain HTTP error too.
      const streamed = await failure(sdk().chat.completions.create({ model: 'anthropic/fail-429', messages: [{ role: 'user', content: 'Hi' }], stream: true }));
      expect(streamed).toBeInstanceOf(OpenAI.RateLimitError);
      expect(streamed!.headers?.get('retry-after')).toBe('7');

      const overloaded = await failure(sdk().chat.completions.create({ model: 'anthropic/fail-529', messages: [{ role: 'user', content: 'Hi' }] }, withId('anthropic-529')));
      expect(overloaded).toBeInstanceOf(OpenAI.InternalServerError);
      expect(overloaded).toMatchObject({ status: 503, code: 'overloaded_error', type: 'api_error', message: expect.stringContaining('Overloaded') });
      expect(await eventFor(stack, 'anthropic-529')).toMatchObject({ status: 503, error_code: 'overloaded_error' });
    });

    it('a 200 whose body is an Anthropic error (a proxy in front of it relaying one) is that error, billed nothing', async () => {
      const error = await failure(sdk().chat.completions.create({ model: 'anthropic/error-200', messages: [{ role: 'user', content: 'Hi' }] }, withId('anthropic-error-200')));
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error).toMatchObject({ status: 502, code: 'overloaded_error', type: 'api_error', message: expect.stringContaining('Overloaded') });
      expect(await eventFor(stack, 'anthropic-error-200')).toMatchObject({ status: 502, error_code: 'overloaded_error', token_count_estimated: false, prompt_token_count: 0, cost_in_usd: 0 });
    });

    it("a 401 for the stored credential is a 502 upstream_auth_error (the caller's key is fine)", async () => {
      const error = await failure(sdk(BAD_CREDENTIAL_KEY).chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] }, withId('anthropic-401')));
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error).toMatchObject({ status: 502, code: 'upstream_auth_error', type: 'api_error' });
      expect(anthropic.lastRequest().headers['x-api-key']).toBe('sk-ant-revoked');
      expect(await eventFor(stack, 'anthropic-401')).toMatchObject({ status: 502, error_code: 'upstream_auth_error' });
    });

    it('an in-stream error event ends the stream with an error frame and is recorded on the event', async () => {
      const stream = await sdk().chat.completions.create({ model: 'anthropic/stream-error', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('anthropic-stream-error'));
      const { text, error } = await untilError(stream);
      expect(text).toBe('Hel');
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(String((error as Error).message)).toContain('Overloaded');
      expect(await eventFor(stack, 'anthropic-stream-error')).toMatchObject({ stream: true, status: 200, error_code: 'overloaded_error' });
    });

    it('a stream cut before Anthropic reports its output is billed for what it generated, not for one token', async () => {
      const stream = await sdk().chat.completions.create({ model: 'anthropic/stream-cut', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('anthropic-stream-cut'));
      const { text } = await untilError(stream);
      expect(text).toBe(FAKE_ANTHROPIC_CUT_TEXT);
      // message_start's input count is exact and stays; the output is counted from the text.
      expect(await eventFor(stack, 'anthropic-stream-cut')).toMatchObject({
        error_code: 'overloaded_error',
        prompt_token_count: FAKE_ANTHROPIC_USAGE.stream.input_tokens,
        completion_token_count: estimateTokens(FAKE_ANTHROPIC_CUT_TEXT),
        token_count_estimated: true,
      });
      expect(estimateTokens(FAKE_ANTHROPIC_CUT_TEXT)).toBeGreaterThan(10);
    });

    it('the answer ends at message_stop: an upstream that holds its body open or resets it afterwards changes nothing', async () => {
      for (const model of ['stream-linger', 'stream-reset']) {
        const completion = await sdk()
          .chat.completions.stream({ model: `anthropic/${model}`, messages: [{ role: 'user', content: 'Hi' }] }, withId(`anthropic-${model}`))
          .finalChatCompletion();
        expect([model, completion.choices[0].message.content, completion.choices[0].finish_reason]).toEqual([model, 'Hello!', 'stop']);
        const event = await eventFor(stack, `anthropic-${model}`);
        expect([model, event.status, event.error_code]).toEqual([model, 200, null]);
      }
      // The client had its whole answer while the upstream still held the body open; the gateway then closed it.
      await eventually(async () => (anthropic.cutAfterEnd.includes('stream-linger') ? true : undefined), 5_000, 'the lingering upstream cut');
    });

    it('a stream whose body ends before message_stop is an incomplete answer: an error frame, never [DONE], and the event says so', async () => {
      const raw = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': 'anthropic-truncated' },
        body: JSON.stringify({ model: 'anthropic/stream-truncated', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      const frames = (await raw.text()).split('\n\n').filter(Boolean);
      expect(frames).not.toContain('data: [DONE]');
      expect(JSON.parse(frames[frames.length - 1].slice('data: '.length))).toEqual({
        error: { message: expect.stringContaining('before the answer was complete'), type: expect.any(String), param: null, code: 'upstream_unreachable' },
      });
      expect(await eventFor(stack, 'anthropic-truncated')).toMatchObject({ stream: true, status: 200, error_code: 'upstream_unreachable' });
    });
  });

  describe('Gemini', () => {
    it.each([
      ['gemini/gemini-2.5-flash', 'prefixed'],
      ['gemini-2.5-flash', 'bare'],
    ])('%s (%s): the answer, systemInstruction, the key in a header, the priced event', async (model, label) => {
      const before = gemini.requests.length;
      const completion = await sdk().chat.completions.create(
        {
          model,
          messages: [
            { role: 'developer', content: 'Be brief.' },
            { role: 'user', content: 'Hi' },
          ],
          temperature: 0.2,
          max_tokens: 100,
          logit_bias: { '50256': -100 },
        },
        withId(`gemini-chat-${label}`),
      );
      expect(gemini.requests.length).toBe(before + 1);
      expect(completion).toMatchObject({
        id: 'chatcmpl-fake-response-1',
        object: 'chat.completion',
        model: 'gemini-2.5-flash',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there, friend! (system: Be brief.)' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
      });
      const received = gemini.lastRequest();
      expect(received.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
      expect(received.query).toBe('');
      expect(received.headers['x-goog-api-key']).toBe(FAKE_GEMINI_API_KEY);
      expect(received.headers.authorization).toBeUndefined();
      expect(JSON.stringify(received.headers)).not.toContain(CLIENT_KEY);
      expect(received.body).toEqual({
        contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        generationConfig: { temperature: 0.2, maxOutputTokens: 100 },
      });

      const event = await eventFor(stack, `gemini-chat-${label}`);
      expect(event).toMatchObject({
        provider: 'gemini',
        model: 'gemini-2.5-flash',
        status: 200,
        prompt_token_count: 12,
        completion_token_count: 5,
        token_count_estimated: false,
        price_known: true,
      });
      expect(event.cost_in_usd).toBeCloseTo(12 * GEMINI_2_5_FLASH.input + 5 * GEMINI_2_5_FLASH.output, 12);
    });

    it('prices the audio share of a prompt at the audio rate', async () => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }] }];
      const completion = await sdk().chat.completions.create({ model: 'gemini-2.5-flash', messages }, withId('gemini-audio'));
      expect(completion.usage).toMatchObject({ prompt_tokens: 12, prompt_tokens_details: { audio_tokens: 10 } });
      const event = await eventFor(stack, 'gemini-audio');
      expect(event).toMatchObject({ prompt_token_count: 12, completion_token_count: 5, price_known: true });
      // gemini-2.5-flash: audio $1 per million prompt tokens, text $0.30.
      expect(event.cost_in_usd).toBeCloseTo(2 * GEMINI_2_5_FLASH.input + 10 * (1 / 1e6) + 5 * GEMINI_2_5_FLASH.output, 12);
    });

    it('streams with alt=sse, chunks in order, usage chunk only when asked, priced from usageMetadata', async () => {
      const stream = await sdk().chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('gemini-stream'));
      const chunks = await chunksOf(stream);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello world');
      expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
      expect(chunks.some((c) => c.usage)).toBe(false);
      const received = gemini.lastRequest();
      expect(received.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
      expect(received.query).toBe('alt=sse');
      const event = await eventFor(stack, 'gemini-stream');
      expect(event).toMatchObject({ stream: true, status: 200, provider: 'gemini', prompt_token_count: 11, completion_token_count: 4, token_count_estimated: false, price_known: true });
      expect(event.cost_in_usd).toBeCloseTo(11 * GEMINI_2_5_FLASH.input + 4 * GEMINI_2_5_FLASH.output, 12);

      const withUsage = await sdk().chat.completions.create({
        model: 'gemini/gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const usageChunks = await chunksOf(withUsage);
      const last = usageChunks[usageChunks.length - 1];
      expect(last.choices).toEqual([]);
      expect(last.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
    });

    it('tools: functionCall becomes tool_calls, streamed or not, and the result goes back as functionResponse', async () => {
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const completion = await sdk().chat.completions.create({ model: 'gemini-2.5-flash', messages, tools: [WEATHER_TOOL], tool_choice: 'required' });
      const choice = completion.choices[0];
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBeNull();
      expect(choice.message.tool_calls).toEqual([{ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
      expect(gemini.lastRequest().body).toMatchObject({
        tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather for a city', parameters: expect.objectContaining({ properties: { city: expect.anything() } }) }] }],
        toolConfig: { functionCallingConfig: { mode: 'ANY' } },
      });

      const followUp = await sdk().chat.completions.create({
        model: 'gemini-2.5-flash',
        tools: [WEATHER_TOOL],
        messages: [...messages, choice.message as OpenAI.Chat.ChatCompletionMessageParam, { role: 'tool', tool_call_id: choice.message.tool_calls![0].id, content: '{"temp_c":21}' }],
      });
      expect(followUp.choices[0].message.content).toBe('The get_weather tool said {"temp_c":21}.');
      expect(gemini.lastRequest().body!.contents).toEqual([
        { role: 'user', parts: [{ text: 'What is the weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp_c: 21 } } }] },
      ]);

      const streamed = await sdk()
        .chat.completions.stream({ model: 'gemini/gemini-2.5-flash', messages, tools: [WEATHER_TOOL] }, withId('gemini-stream-tools'))
        .finalChatCompletion();
      expect(streamed.choices[0].finish_reason).toBe('tool_calls');
      expect(streamed.choices[0].message.tool_calls).toEqual([{ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
      expect(await eventFor(stack, 'gemini-stream-tools')).toMatchObject({ stream: true, prompt_token_count: 11, completion_token_count: 6 });
    });

    it('images: data URLs go inline, http URLs as fileData', async () => {
      await sdk().chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare these' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
              { type: 'image_url', image_url: { url: IMAGE_URL } },
            ],
          },
        ],
      });
      expect(gemini.lastRequest().body!.contents).toEqual([
        {
          role: 'user',
          parts: [{ text: 'Compare these' }, { inlineData: { mimeType: 'image/png', data: PNG_BASE64 } }, { fileData: { mimeType: 'image/png', fileUri: IMAGE_URL } }],
        },
      ]);
    });

    it('429 keeps its status and retry-after; a refused stored key is a 502 upstream_auth_error', async () => {
      const limited = await failure(sdk().chat.completions.create({ model: 'gemini/fail-429', messages: [{ role: 'user', content: 'Hi' }] }, withId('gemini-429')));
      expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
      expect(limited).toMatchObject({ status: 429, type: 'rate_limit_error' });
      expect(limited!.headers?.get('retry-after')).toBe('7');
      expect(await eventFor(stack, 'gemini-429')).toMatchObject({ status: 429, provider: 'gemini' });

      const unavailable = await failure(sdk().chat.completions.create({ model: 'gemini/fail-503', messages: [{ role: 'user', content: 'Hi' }] }));
      expect(unavailable).toMatchObject({ status: 503, type: 'api_error' });

      const refused = await failure(sdk(BAD_CREDENTIAL_KEY).chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }, withId('gemini-bad-key')));
      expect(refused).toMatchObject({ status: 502, code: 'upstream_auth_error' });
      expect(await eventFor(stack, 'gemini-bad-key')).toMatchObject({ status: 502, error_code: 'upstream_auth_error' });
    });

    it('a 200 whose body is a Google error is that error, with the status it names and its retry advice, never an empty success', async () => {
      const chat = await failure(sdk().chat.completions.create({ model: 'gemini/error-200', messages: [{ role: 'user', content: 'Hi' }] }, withId('gemini-error-200')));
      expect(chat).toBeInstanceOf(OpenAI.RateLimitError);
      expect(chat).toMatchObject({ status: 429, code: 'resource_exhausted', type: 'rate_limit_error', message: expect.stringContaining('exceeded your current quota') });
      // Google's RetryInfo says when to come back.
      expect(chat!.headers?.get('retry-after')).toBe('7');
      expect(await eventFor(stack, 'gemini-error-200')).toMatchObject({ status: 429, error_code: 'resource_exhausted', token_count_estimated: false, prompt_token_count: 0, cost_in_usd: 0 });
      const embeddings = await failure(sdk().embeddings.create({ model: 'gemini/error-200', input: 'Hi' }, withId('gemini-error-200-embeddings')));
      expect(embeddings).toBeInstanceOf(OpenAI.RateLimitError);
      expect(await eventFor(stack, 'gemini-error-200-embeddings')).toMatchObject({ status: 429, error_code: 'resource_exhausted', prompt_token_count: 0, cost_in_usd: 0 });
    });

    it('an in-stream error payload becomes an error frame and the event says so; a safety block is content_filter', async () => {
      const stream = await sdk().chat.completions.create({ model: 'gemini/stream-error', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('gemini-stream-error'));
      const { text, error } = await untilError(stream);
      expect(text).toBe('Hel');
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(await eventFor(stack, 'gemini-stream-error')).toMatchObject({ stream: true, error_code: 'internal' });
      // On the wire: the error frame is the last one, with no [DONE] after it (as for Anthropic).
      const raw = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gemini/stream-error', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      const frames = (await raw.text()).split('\n\n').filter(Boolean);
      expect(JSON.parse(frames[frames.length - 1].replace(/^data: /, ''))).toMatchObject({ error: { code: 'internal' } });

      // A connection cut mid-stream: an error frame, and the event estimates what was generated.
      const broken = await sdk().chat.completions.create({ model: 'gemini/stream-break', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('gemini-stream-break'));
      const { error: brokenError } = await untilError(broken);
      expect(brokenError).toBeInstanceOf(OpenAI.APIError);
      expect(await eventFor(stack, 'gemini-stream-break')).toMatchObject({ stream: true, error_code: 'upstream_unreachable', token_count_estimated: true });

      const blocked = await sdk().chat.completions.create({ model: 'gemini/safety-block', messages: [{ role: 'user', content: 'Hi' }] }, withId('gemini-blocked'));
      expect(blocked.choices).toEqual([{ index: 0, message: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: 'content_filter' }]);
      expect(await eventFor(stack, 'gemini-blocked')).toMatchObject({ status: 200, prompt_token_count: 8, completion_token_count: 0 });
    });

    it('embeddings through the SDK (base64 by default), estimated and priced', async () => {
      const embeddings = await sdk().embeddings.create({ model: 'gemini/gemini-embedding-001', input: ['first text', 'second text'] }, withId('gemini-embeddings'));
      expect(embeddings.data).toHaveLength(2);
      expect(embeddings.data[0].embedding).toHaveLength(3);
      expect(embeddings.data[0].embedding[0]).toBeCloseTo(0.0023, 6);
      expect(embeddings.data[1].index).toBe(1);
      const received = gemini.lastRequest();
      expect(received.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
      expect(received.body).toEqual({
        requests: [
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'first text' }] } },
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'second text' }] } },
        ],
      });
      const event = await eventFor(stack, 'gemini-embeddings');
      expect(event).toMatchObject({ provider: 'gemini', model: 'gemini-embedding-001', status: 200, token_count_estimated: true, completion_token_count: 0, price_known: true });
      expect(event.prompt_token_count).toBeGreaterThan(0);
      expect(event.cost_in_usd).toBeCloseTo(event.prompt_token_count * GEMINI_EMBEDDING_001.input, 12);
    });
  });

  it('JSON mode: a forced tool on Anthropic, whose input is the answer (parse() reads it, streamed too); responseMimeType for Gemini', async () => {
    const person = { type: 'object', properties: { name: { type: 'string' }, born: { type: 'integer' } }, required: ['name', 'born'], additionalProperties: false };
    const format = { type: 'json_schema' as const, json_schema: { name: 'person', strict: true, schema: person } };
    const parsed = await sdk().chat.completions.parse({ model: 'claude-sonnet-4-5', messages: [{ role: 'system', content: 'Extract the person.' }, { role: 'user', content: 'Ada Lovelace, born 1815.' }], response_format: format });
    expect(parsed.choices[0].message.parsed).toEqual({ name: 'text', born: 1 });
    expect(parsed.choices[0].message.tool_calls ?? []).toEqual([]);
    expect(parsed.choices[0].finish_reason).toBe('stop');
    expect(anthropic.lastRequest().body).toMatchObject({ system: 'Extract the person.', tools: [{ name: 'json_response', input_schema: person }], tool_choice: { type: 'tool', name: 'json_response' } });
    const stream = await sdk().chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Ada' }], response_format: format, stream: true });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
    expect(JSON.parse(content)).toEqual({ name: 'text', born: 1 });
    // With the client's own tools, JSON mode is asked for in the system prompt instead.
    await sdk().chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'system', content: 'List fruit.' }, { role: 'user', content: 'Go' }], response_format: { type: 'json_object' }, tools: [WEATHER_TOOL] });
    const system = String(anthropic.lastRequest().body!.system);
    expect(system.startsWith('List fruit.\n\n')).toBe(true);
    expect(system).toContain('JSON');
    await sdk().chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Go' }], response_format: { type: 'json_object' } });
    expect(gemini.lastRequest().body!.generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  describe('routing', () => {
    it('bare OpenAI names (chat and embeddings) still reach OpenAI on a key with three providers', async () => {
      const completion = await sdk().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, withId('routing-openai'));
      expect(completion.choices[0].message.content).toBe('Hello there, friend!');
      expect(openaiUpstream.lastRequest().body).toMatchObject({ model: 'gpt-4o-mini' });
      expect(await eventFor(stack, 'routing-openai')).toMatchObject({ provider: 'openai' });

      const embeddings = await sdk().embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }, withId('routing-openai-embeddings'));
      expect(embeddings.data.map((entry) => entry.embedding.length)).toEqual([3, 3]);
      expect(embeddings.data[0].embedding[1]).toBeCloseTo(-0.0093, 6);
      expect(openaiUpstream.lastRequest()).toMatchObject({ path: '/v1/embeddings', body: { model: 'text-embedding-3-small', encoding_format: 'base64' } });
      const event = await eventFor(stack, 'routing-openai-embeddings');
      expect(event).toMatchObject({ provider: 'openai', model: 'text-embedding-3-small', prompt_token_count: 16, completion_token_count: 0, price_known: true });
      expect(event.cost_in_usd).toBeCloseTo(16 * (0.02 / 1e6), 14);
    });

    it('an ambiguous bare name is a 400 naming the prefixes to use, and nothing goes upstream', async () => {
      const counts = [openaiUpstream.requests.length, anthropic.requests.length, gemini.requests.length];
      const error = await failure(sdk().chat.completions.create({ model: 'mystery-model', messages: [{ role: 'user', content: 'Hi' }] }));
      expect(error).toMatchObject({ status: 400, param: 'model' });
      expect(error!.message).toMatch(/openai\/.*anthropic\/.*gemini\//);
      expect([openaiUpstream.requests.length, anthropic.requests.length, gemini.requests.length]).toEqual(counts);
    });

    it('a provider the key has no setting for is refused', async () => {
      const error = await failure(sdk().chat.completions.create({ model: 'deepinfra/meta-llama/Llama-3.3-70B-Instruct', messages: [{ role: 'user', content: 'Hi' }] }));
      expect(error).toMatchObject({ status: 400, code: 'provider_not_configured' });
    });

    it('/v1/models lists what the key can reach, as names that route', async () => {
      const models = await sdk(MODELS_KEY).models.list();
      const ids = models.data.map((model) => model.id).sort();
      expect(ids).toEqual(['anthropic/claude-haiku-4-5', 'anthropic/claude-sonnet-4-5', 'gemini/gemini-2.5-flash', 'gpt-4o-mini']);
      expect(models.data.find((model) => model.id === 'anthropic/claude-sonnet-4-5')).toMatchObject({ object: 'model', owned_by: 'anthropic' });
      // Every listed id routes.
      for (const id of ids) {
        const completion = await sdk(MODELS_KEY).chat.completions.create({ model: id, messages: [{ role: 'user', content: 'Hi' }] });
        expect(completion.choices[0].message.role).toBe('assistant');
      }
      // Models outside a setting's allow-list are refused.
      const refused = await failure(sdk(MODELS_KEY).chat.completions.create({ model: 'anthropic/claude-opus-4-1', messages: [{ role: 'user', content: 'Hi' }] }));
      expect(refused).toMatchObject({ status: 403, code: 'model_not_allowed' });
    });

    it('/v1/models asks Anthropic and Gemini for their lists when the settings have none', async () => {
      const models = await sdk().models.list();
      // Creation times are the providers' own: Anthropic's created_at in Unix seconds, OpenAI's created.
      expect(models.data.find((model) => model.id === 'anthropic/claude-sonnet-4-5-20250929')?.created).toBe(Date.parse('2025-09-29T00:00:00Z') / 1000);
      expect(models.data.find((model) => model.id === 'gpt-4o-mini')?.created).toBe(1721172741);
      expect(models.data.map((model) => model.id).sort()).toEqual([
        'anthropic/claude-haiku-4-5-20251001',
        'anthropic/claude-sonnet-4-5-20250929',
        'gemini/gemini-2.5-flash',
        'gemini/gemini-embedding-001',
        'gpt-4o-mini',
      ]);
      const anthropicList = anthropic.requests.filter((request) => request.method === 'GET').pop()!;
      expect(anthropicList).toMatchObject({ path: '/v1/models', query: 'limit=1000' });
      expect(anthropicList.headers['x-api-key']).toBe(FAKE_ANTHROPIC_KEY);
      expect(anthropicList.headers['anthropic-version']).toBe('2023-06-01');
      const geminiList = gemini.requests.filter((request) => request.method === 'GET').pop()!;
      expect(geminiList).toMatchObject({ path: '/v1beta/models', query: 'pageSize=1000' });
      expect(geminiList.headers['x-goog-api-key']).toBe(FAKE_GEMINI_API_KEY);
      expect(JSON.stringify([anthropicList.headers, geminiList.headers])).not.toContain(CLIENT_KEY);
    });

    it('/v1/models/:model retrieves a reachable model (slashes and all), 404 otherwise', async () => {
      // From an allow-list, a model is as old as the setting that offers it.
      const setting = await stack.admin<Array<{ createdAt: number }>>('GET', `/api/provider-settings?ids=${listedAnthropic}`);
      expect(setting.body[0].createdAt).toBeGreaterThan(1_700_000_000);
      expect(await sdk(MODELS_KEY).models.retrieve('anthropic/claude-sonnet-4-5')).toEqual({ id: 'anthropic/claude-sonnet-4-5', object: 'model', created: setting.body[0].createdAt, owned_by: 'anthropic' });
      expect(await sdk(MODELS_KEY).models.retrieve('gpt-4o-mini')).toMatchObject({ id: 'gpt-4o-mini', owned_by: 'openai' });
      const raw = await fetch(`${stack.proxyUrl}/v1/models/gemini/gemini-2.5-flash`, { headers: { authorization: `Bearer ${MODELS_KEY}` } });
      expect(await raw.json()).toMatchObject({ id: 'gemini/gemini-2.5-flash' });
      const missing = await failure(sdk(MODELS_KEY).models.retrieve('anthropic/claude-opus-4-1'));
      expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
      expect(missing).toMatchObject({ status: 404, param: 'model' });
    });
  });
});
