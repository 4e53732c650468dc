import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { AIMessageChunk, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import { FAKE_ANTHROPIC_KEY, FakeAnthropic } from './support/fake-anthropic';
import { FAKE_GEMINI_API_KEY, FakeGemini } from './support/fake-gemini';
import { FakeOpenAI } from './support/fake-openai';
import { createKey, createSetting, eventFor } from './support/provider-e2e';
import { TestStack, startTestStack } from './support/test-stack';

/**
 * The frameworks people put in front of an OpenAI-compatible base URL: the Vercel AI SDK
 * (@ai-sdk/openai-compatible) and LangChain's ChatOpenAI, against /v1, OpenAI and Claude models
 * alike (Claude translated by the gateway), streamed and not, with tools.
 */

const CLIENT_KEY = 'tg-frameworks-e2e-key';

const weatherParameters = { type: 'object' as const, properties: { city: { type: 'string' as const } }, required: ['city'], additionalProperties: false };

describe('Vercel AI SDK and LangChain against /v1 (e2e)', () => {
  let stack: TestStack;
  let openaiUpstream: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let gemini: FakeGemini;

  beforeAll(async () => {
    openaiUpstream = new FakeOpenAI();
    anthropic = new FakeAnthropic();
    gemini = new FakeGemini();
    await Promise.all([openaiUpstream.start(), anthropic.start(), gemini.start()]);
    stack = await startTestStack();
    const settings = [
      await createSetting(stack, 'openai', { apiKey: 'sk-upstream-secret', url: openaiUpstream.baseUrl }),
      await createSetting(stack, 'anthropic', { apiKey: FAKE_ANTHROPIC_KEY, url: anthropic.baseUrl }),
      await createSetting(stack, 'gemini', { apiKey: FAKE_GEMINI_API_KEY, url: gemini.baseUrl }),
    ];
    await createKey(stack, CLIENT_KEY, settings);
  });

  afterAll(async () => {
    await stack?.close();
    await Promise.all([openaiUpstream?.stop(), anthropic?.stop(), gemini?.stop()]);
  });

  describe('Vercel AI SDK (createOpenAICompatible)', () => {
    const gateway = () => createOpenAICompatible({ name: 'tollgate', baseURL: `${stack.proxyUrl}/v1`, apiKey: CLIENT_KEY, includeUsage: true });
    const weather = tool({ description: 'Current weather for a city', inputSchema: jsonSchema<{ city: string }>(weatherParameters) });

    it('generateText with an OpenAI model and with a Claude model', async () => {
      const openai = await generateText({ model: gateway()('gpt-4o-mini'), prompt: 'Hi', maxRetries: 0, headers: { 'x-custom-event-id': 'ai-sdk-openai' } });
      expect(openai.text).toBe('Hello there, friend!');
      expect(openai.finishReason).toBe('stop');
      expect(openai.usage).toMatchObject({ inputTokens: 12, outputTokens: 5 });
      expect(await eventFor(stack, 'ai-sdk-openai')).toMatchObject({ provider: 'openai', prompt_token_count: 12 });

      const claude = await generateText({
        model: gateway()('anthropic/claude-sonnet-4-5'),
        system: 'Answer briefly.',
        prompt: 'Hi',
        maxRetries: 0,
        headers: { 'x-custom-event-id': 'ai-sdk-claude' },
      });
      expect(claude.text).toBe('Hello! (system: Answer briefly.)');
      expect(claude.finishReason).toBe('stop');
      expect(claude.usage).toMatchObject({ inputTokens: 12, outputTokens: 6 });
      expect(anthropic.lastRequest().body).toMatchObject({ system: 'Answer briefly.', messages: [{ role: 'user', content: 'Hi' }] });
      expect(await eventFor(stack, 'ai-sdk-claude')).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4-5', prompt_token_count: 12, completion_token_count: 6 });
    });

    it('streamText with a Claude model: text deltas in order, usage from the usage chunk', async () => {
      const result = streamText({ model: gateway()('claude-sonnet-4-5'), prompt: 'Hi', maxRetries: 0, headers: { 'x-custom-event-id': 'ai-sdk-stream' } });
      const parts: string[] = [];
      for await (const text of result.textStream) parts.push(text);
      expect(parts.join('')).toBe('Hello!');
      expect(parts.length).toBeGreaterThan(1);
      expect(await result.finishReason).toBe('stop');
      expect(await result.usage).toMatchObject({ inputTokens: 11, outputTokens: 4 });
      expect(await eventFor(stack, 'ai-sdk-stream')).toMatchObject({ provider: 'anthropic', stream: true, prompt_token_count: 11, completion_token_count: 4 });
    });

    it('tools with Claude, generated and streamed (argument deltas assembled by the SDK); Gemini too', async () => {
      const generated = await generateText({ model: gateway()('claude-sonnet-4-5'), prompt: 'What is the weather in Paris?', tools: { get_weather: weather }, maxRetries: 0 });
      expect(generated.finishReason).toBe('tool-calls');
      expect(generated.toolCalls).toEqual([expect.objectContaining({ toolCallId: 'toolu_fake01', toolName: 'get_weather', input: { city: 'Paris' } })]);
      expect(anthropic.lastRequest().body).toMatchObject({ tools: [{ name: 'get_weather', input_schema: weatherParameters }] });

      const streamed = streamText({ model: gateway()('anthropic/claude-sonnet-4-5'), prompt: 'Weather in Paris?', tools: { get_weather: weather }, maxRetries: 0 });
      const deltas: string[] = [];
      for await (const part of streamed.fullStream) if (part.type === 'tool-input-delta') deltas.push(part.delta);
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join('')).toBe('{"city": "Paris"}');
      expect(await streamed.toolCalls).toEqual([expect.objectContaining({ toolCallId: 'toolu_fake02', toolName: 'get_weather', input: { city: 'Paris' } })]);
      expect(await streamed.finishReason).toBe('tool-calls');

      const viaGemini = await generateText({ model: gateway()('gemini/gemini-2.5-flash'), prompt: 'Weather in Paris?', tools: { get_weather: weather }, maxRetries: 0 });
      expect(viaGemini.toolCalls).toEqual([expect.objectContaining({ toolName: 'get_weather', input: { city: 'Paris' } })]);
    });
  });

  describe('LangChain ChatOpenAI', () => {
    const chat = (model: string, options: Partial<ConstructorParameters<typeof ChatOpenAI>[0]> = {}) =>
      new ChatOpenAI({ model, apiKey: CLIENT_KEY, maxRetries: 0, configuration: { baseURL: `${stack.proxyUrl}/v1` }, ...options });

    it('invoke with an OpenAI model and with a Claude model (system message hoisted)', async () => {
      const openai = await chat('gpt-4o-mini').invoke([new HumanMessage('Hi')]);
      expect(openai.content).toBe('Hello there, friend!');
      expect(openai.usage_metadata).toMatchObject({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });

      const claude = await chat('claude-sonnet-4-5', { configuration: { baseURL: `${stack.proxyUrl}/v1`, defaultHeaders: { 'x-custom-event-id': 'langchain-claude' } } }).invoke([
        new SystemMessage('You are terse.'),
        new HumanMessage('Hi'),
      ]);
      expect(claude.content).toBe('Hello! (system: You are terse.)');
      expect(claude.usage_metadata).toMatchObject({ input_tokens: 12, output_tokens: 6, total_tokens: 18 });
      expect(claude.response_metadata).toMatchObject({ finish_reason: 'stop' });
      expect(await eventFor(stack, 'langchain-claude')).toMatchObject({ provider: 'anthropic', prompt_token_count: 12, completion_token_count: 6 });
    });

    it('stream with a Claude model: chunks in order, usage on the way (LangChain asks for it)', async () => {
      const model = chat('anthropic/claude-sonnet-4-5', { configuration: { baseURL: `${stack.proxyUrl}/v1`, defaultHeaders: { 'x-custom-event-id': 'langchain-stream' } } });
      let full: AIMessageChunk | null = null;
      const pieces: string[] = [];
      for await (const chunk of await model.stream([new HumanMessage('Hi')])) {
        pieces.push(String(chunk.content));
        full = full === null ? chunk : full.concat(chunk);
      }
      expect(pieces.join('')).toBe('Hello!');
      expect(full!.usage_metadata).toMatchObject({ input_tokens: 11, output_tokens: 4, total_tokens: 15 });
      expect(await eventFor(stack, 'langchain-stream')).toMatchObject({ provider: 'anthropic', stream: true, prompt_token_count: 11, completion_token_count: 4 });
    });

    it('bindTools with a Claude model, invoked and streamed', async () => {
      const weatherTool = { type: 'function' as const, function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherParameters } };
      const model = chat('claude-sonnet-4-5').bindTools([weatherTool]);
      const message = await model.invoke([new HumanMessage('What is the weather in Paris?')]);
      expect(message.tool_calls).toEqual([expect.objectContaining({ id: 'toolu_fake01', name: 'get_weather', args: { city: 'Paris' } })]);

      let full: AIMessageChunk | null = null;
      for await (const chunk of await model.stream([new HumanMessage('Weather in Paris?')])) full = full === null ? chunk : full.concat(chunk);
      expect(full!.tool_calls).toEqual([expect.objectContaining({ id: 'toolu_fake02', name: 'get_weather', args: { city: 'Paris' } })]);
    });
  });
});
