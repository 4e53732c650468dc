import { GatewayError } from '@tollgate/common';
import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { ChatCall, ProviderAdapter, ProviderDefaults } from '../provider-adapter';
import alternation from './__fixtures__/request-alternation.json';
import basic from './__fixtures__/request-basic.json';
import images from './__fixtures__/request-images.json';
import jsonSchema from './__fixtures__/request-json-schema.json';
import tools from './__fixtures__/request-tools.json';
import { AnthropicAdapter } from './anthropic.adapter';
import { toAnthropicRequest } from './anthropic-request';

const defaults: ProviderDefaults = {
  openaiBaseUrl: 'https://api.openai.com/v1',
  deepinfraBaseUrl: 'https://api.deepinfra.com/v1/openai',
  anthropicBaseUrl: 'https://api.anthropic.com',
  geminiBaseUrl: 'https://generativelanguage.googleapis.com',
  anthropicDefaultMaxTokens: 4096,
  anthropicVersion: '2023-06-01',
  azureApiVersion: '2024-10-21',
};

const setting: ResolvedProviderSetting = {
  id: 's1',
  name: '',
  provider: ProviderId.Anthropic,
  options: {},
  credentials: { apiKey: 'sk-ant-stored' },
  allowedModels: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

const chat = (body: Record<string, unknown>, stream = false): ChatCall => ({ body: { model: 'claude-sonnet-4-5', ...body }, model: 'claude-sonnet-4-5', stream });
const hello = [{ role: 'user', content: 'Hi' }];
const weatherTool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } };

describe('toAnthropicRequest', () => {
  it.each([basic, alternation, tools, images, jsonSchema])('$description', (fixture) => {
    expect(toAnthropicRequest(fixture.call as ChatCall, defaults)).toStrictEqual(fixture.expected);
  });

  it('answers a conversation of system text alone (Anthropic needs a message): the text becomes the user turn', () => {
    const request = toAnthropicRequest(chat({ messages: [{ role: 'system', content: 'Say hi' }, { role: 'developer', content: 'In French.' }] }), defaults);
    expect(request.messages).toEqual([{ role: 'user', content: 'Say hi\n\nIn French.' }]);
    expect(request.system).toBeUndefined();
    expect(() => toAnthropicRequest(chat({ messages: [] }), defaults)).toThrow(expect.objectContaining({ param: 'messages' }));
  });

  it('refuses logprobs, which Anthropic does not return (an answer without them would be silently wrong)', () => {
    expect(() => toAnthropicRequest(chat({ messages: hello, logprobs: true, top_logprobs: 2 }), defaults)).toThrow(expect.objectContaining({ param: 'logprobs', status: 400 }));
    expect(toAnthropicRequest(chat({ messages: hello, logprobs: false }), defaults).messages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  it('turns reasoning_effort into a thinking budget that fits within max_tokens; refuses it with tools, and unknown values', () => {
    const thinkingOf = (body: Record<string, unknown>) => toAnthropicRequest(chat({ messages: hello, ...body }), defaults).thinking;
    expect(thinkingOf({ reasoning_effort: 'high', max_tokens: 10_000 })).toEqual({ type: 'enabled', budget_tokens: 4_096 });
    expect(thinkingOf({ reasoning_effort: 'medium', max_tokens: 10_000 })).toEqual({ type: 'enabled', budget_tokens: 2_048 });
    // Without max_tokens, the default (4,096) bounds it: thinking counts within it, and the answer keeps half.
    expect(thinkingOf({ reasoning_effort: 'high' })).toEqual({ type: 'enabled', budget_tokens: 2_048 });
    expect(thinkingOf({ reasoning_effort: 'high', max_tokens: 5_000 })).toEqual({ type: 'enabled', budget_tokens: 2_500 });
    expect(toAnthropicRequest(chat({ messages: hello, reasoning_effort: 'high' }), defaults).max_tokens).toBe(4_096);
    expect(thinkingOf({ reasoning_effort: 'minimal' })).toBeUndefined();
    expect(thinkingOf({ reasoning_effort: 'none' })).toBeUndefined();
    expect(thinkingOf({})).toBeUndefined();
    for (const body of [{ reasoning_effort: 'low', max_tokens: 2_000 }, { reasoning_effort: 'low', tools: [weatherTool] }, { reasoning_effort: 'extreme' }]) {
      expect(() => toAnthropicRequest(chat({ messages: hello, ...body }), defaults)).toThrow(expect.objectContaining({ status: 400 }));
    }
  });

  it('enforces json_object with a forced tool taking any object; asks by instruction where a forced tool cannot be used', () => {
    const jsonObject = toAnthropicRequest(chat({ messages: hello, response_format: { type: 'json_object' } }), defaults);
    expect(jsonObject).toMatchObject({ tools: [{ name: 'json_response', input_schema: { type: 'object' } }], tool_choice: { type: 'tool', name: 'json_response', disable_parallel_tool_use: true } });
    expect(jsonObject.system).toBeUndefined();
    const instruction = 'Respond only with a single valid JSON object, with no text, explanation or Markdown code fences before or after it.';
    // The client's own tools must stay callable; a schema that is not an object cannot be a tool input; thinking forbids a forced tool.
    const withTools = toAnthropicRequest(chat({ messages: hello, response_format: { type: 'json_object' }, tools: [weatherTool] }), defaults);
    expect(withTools.system).toBe(instruction);
    expect(withTools.tools?.map((tool) => tool.name)).toEqual(['get_weather']);
    const arraySchema = toAnthropicRequest(chat({ messages: hello, response_format: { type: 'json_schema', json_schema: { name: 'list', schema: { type: 'array', items: { type: 'string' } } } } }), defaults);
    expect(arraySchema.tools).toBeUndefined();
    expect(arraySchema.system).toContain(instruction);
    const thinking = toAnthropicRequest(chat({ messages: hello, response_format: { type: 'json_object' }, reasoning_effort: 'low', max_tokens: 4_000 }), defaults);
    expect([thinking.tools, thinking.system]).toEqual([undefined, instruction]);
    expect(toAnthropicRequest(chat({ messages: hello, response_format: { type: 'text' } }), defaults).system).toBeUndefined();
  });

  it('refuses stop sequences of whitespace only, which Anthropic refuses (left out, the model would run past them)', () => {
    for (const stop of [['\n', 'END'], '\n\n', [' ']]) {
      expect(() => toAnthropicRequest(chat({ messages: hello, stop }), defaults)).toThrow(expect.objectContaining({ param: 'stop', status: 400 }));
    }
    expect(toAnthropicRequest(chat({ messages: hello, stop: ['END', 'Q:'] }), defaults).stop_sequences).toEqual(['END', 'Q:']);
  });

  it.each([
    ['auto', undefined, { type: 'auto' }],
    ['required', undefined, { type: 'any' }],
    ['none', undefined, { type: 'none' }],
    [{ type: 'function', function: { name: 'get_weather' } }, undefined, { type: 'tool', name: 'get_weather' }],
    [{ type: 'function', function: { name: 'get_weather' } }, false, { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true }],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
    ['none', false, { type: 'none' }],
    [undefined, true, undefined],
  ])('tool_choice %j with parallel_tool_calls %j → %j', (choice, parallel, expected) => {
    const request = toAnthropicRequest(chat({ messages: hello, tools: [weatherTool], tool_choice: choice, parallel_tool_calls: parallel }), defaults);
    expect(request.tool_choice).toStrictEqual(expected);
  });

  it("names a data URL's image type from its bytes, as Anthropic checks them (OpenAI reads the image whatever its label)", () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]).toString('base64');
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00', 'latin1').toString('base64');
    const webp = Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1').toString('base64');
    const sent = (url: string) => {
      const request = toAnthropicRequest(chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] }), defaults);
      return (request.messages[0].content as Array<{ source: { media_type: string; data: string } }>)[0].source;
    };
    // image/jpg is how browsers and many tools label JPEGs; Anthropic takes image/jpeg only.
    expect(sent(`data:image/jpg;base64,${jpeg}`)).toEqual({ type: 'base64', media_type: 'image/jpeg', data: jpeg });
    // Mislabelled: Anthropic refuses "specified using image/jpeg, but appears to be image/png".
    expect(sent(`data:image/jpeg;base64,${png}`).media_type).toBe('image/png');
    expect(sent(`data:image/png;base64,${gif}`).media_type).toBe('image/gif');
    expect(sent(`data:application/octet-stream;base64,${webp}`).media_type).toBe('image/webp');
    // Bytes of no type Anthropic takes keep their label: Anthropic's own 400 says what is wrong.
    expect(sent('data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=').media_type).toBe('image/svg+xml');
  });

  it('sends no tool_choice when there are no tools, and refuses one that requires a call', () => {
    for (const choice of ['auto', 'none']) {
      const request = toAnthropicRequest(chat({ messages: hello, tool_choice: choice, parallel_tool_calls: false }), defaults);
      expect(request).toStrictEqual({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4096 });
    }
    for (const choice of ['required', { type: 'function', function: { name: 'f' } }, 5, 'sometimes']) {
      expect(() => toAnthropicRequest(chat({ messages: hello, tool_choice: choice }), defaults)).toThrow(expect.objectContaining({ status: 400, param: 'tool_choice' }));
    }
  });

  it.each([
    ['a numeric stop', { stop: 5 }, 'stop'],
    ['an object stop', { stop: { a: 1 } }, 'stop'],
    ['a stop list holding other than strings', { stop: [5, 'x', null] }, 'stop'],
    ['tools that are not a list', { tools: {} }, 'tools'],
    ['a text response_format', { response_format: 'json' }, 'response_format'],
    ['an unknown response_format type', { response_format: { type: 'xml' } }, 'response_format'],
    ['a temperature as text', { temperature: '0.5' }, 'temperature'],
    ['n of 0', { n: 0 }, 'n'],
    ['tool_calls that are not a list', { messages: [...hello, { role: 'assistant', content: 'x', tool_calls: 'x' }, { role: 'user', content: 'y' }] }, 'messages[1].tool_calls'],
  ])('refuses %s, which OpenAI refuses too (dropped, it changed the answer unseen)', (_name, fields, param) => {
    expect(() => toAnthropicRequest(chat({ messages: hello, ...fields }), defaults)).toThrow(expect.objectContaining({ status: 400, param }));
  });

  it.each([
    ['n > 1', { messages: hello, n: 2 }, 'n'],
    ['an unknown role', { messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role'],
    ['audio input', { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }, 'messages[0].content[0].type'],
    ['a file: image URL', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }] }, 'messages[0].content[0].image_url.url'],
    [
      'tool arguments that are not JSON',
      { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] },
      'messages[0].tool_calls[0].function.arguments',
    ],
    [
      'tool arguments that are not an object',
      { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '[1,2]' } }] }] },
      'messages[0].tool_calls[0].function.arguments',
    ],
    ['a tool message without tool_call_id', { messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
    ['a non-function tool', { messages: hello, tools: [{ type: 'custom', custom: { name: 'x' } }] }, 'tools[0]'],
    ['an unknown tool_choice', { messages: hello, tools: [weatherTool], tool_choice: 'sometimes' }, 'tool_choice'],
    // Deprecated, and answered with a function_call message the translation does not write: dropped, the model answered in text.
    ['the deprecated functions', { messages: hello, functions: [weatherTool.function] }, 'functions'],
    ['the deprecated function_call naming one', { messages: hello, function_call: { name: 'get_weather' } }, 'function_call'],
  ])('rejects %s with a 400 naming the param', (_name, body, param) => {
    let thrown: unknown;
    try {
      toAnthropicRequest(chat(body), defaults);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).status).toBe(400);
    expect((thrown as GatewayError).param).toBe(param);
  });
});

describe('AnthropicAdapter.toChatRequest', () => {
  const adapter = new AnthropicAdapter();
  const call = chat({ messages: hello, max_tokens: 5 });

  it('posts to {base}/v1/messages with the stored key, the default version and no client credentials', () => {
    const upstream = adapter.toChatRequest(
      { setting, defaults, clientHeaders: { authorization: 'Bearer tg-client-key', 'x-api-key': 'client-supplied', cookie: 'a=b', 'user-agent': 'OpenAI/JS 6' } },
      call,
    );
    expect(upstream).toStrictEqual({
      url: 'https://api.anthropic.com/v1/messages',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'identity', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-stored' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 }),
    });
  });

  it("uses the setting's url and the client's anthropic-version and anthropic-beta", () => {
    const upstream = adapter.toChatRequest(
      {
        setting: { ...setting, options: { url: 'http://127.0.0.1:9999/' } },
        defaults,
        clientHeaders: { 'anthropic-version': '2024-01-01', 'anthropic-beta': ['prompt-caching-2024-07-31', 'output-128k-2025-02-19'] },
      },
      call,
    );
    expect(upstream.url).toBe('http://127.0.0.1:9999/v1/messages');
    expect(upstream.headers['anthropic-version']).toBe('2024-01-01');
    expect(upstream.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31,output-128k-2025-02-19');
  });

  it('accepts a base url that already ends in /v1', () => {
    const upstream = adapter.toChatRequest({ setting: { ...setting, options: { url: 'https://proxy.example/anthropic/v1' } }, defaults, clientHeaders: {} }, call);
    expect(upstream.url).toBe('https://proxy.example/anthropic/v1/messages');
  });

  it('has no embeddings', () => {
    const contract: ProviderAdapter = adapter;
    expect(contract.toEmbeddingsRequest).toBeUndefined();
    expect(contract.fromEmbeddingsResponse).toBeUndefined();
    expect(contract.id).toBe(ProviderId.Anthropic);
  });
});
