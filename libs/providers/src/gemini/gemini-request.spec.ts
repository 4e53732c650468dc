import { GatewayError } from '@tollgate/common';
import { ChatCall } from '../provider-adapter';
import { jsonFixture } from './__fixtures__/fixtures';
import { toGeminiRequest } from './gemini-request';

const call = (body: Record<string, unknown>, model = 'gemini-2.5-flash'): ChatCall => ({ body, model, stream: false });

describe('toGeminiRequest', () => {
  it('translates a full OpenAI request: system hoisting, merged turns, media, tool round trip, config, schema, tools', () => {
    expect(toGeminiRequest(call(jsonFixture('chat-request.openai.json')))).toEqual(jsonFixture('chat-request.gemini.json'));
  });

  it('sends a plain conversation with no generationConfig, tools or systemInstruction', () => {
    const body = { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Bye' }] };
    expect(toGeminiRequest(call(body))).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello!' }] },
        { role: 'user', parts: [{ text: 'Bye' }] },
      ],
    });
  });

  it('maps tool_choice auto, none and required, and json_object', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }];
    const messages = [{ role: 'user', content: 'x' }];
    const modeFor = (tool_choice: unknown) => toGeminiRequest(call({ messages, tools, tool_choice })).toolConfig;
    expect(modeFor('auto')).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(modeFor('none')).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(modeFor('required')).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(modeFor(undefined)).toBeUndefined();
    // A choice it cannot honour (OpenAI's allowed_tools) is refused, not dropped (any tool could be called).
    const allowedTools = { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'f' } }] } };
    expect(() => modeFor(allowedTools)).toThrow(expect.objectContaining({ code: 'invalid_request_error', param: 'tool_choice' }));
    // Without tools, a call the client requires cannot be made: refused (as OpenAI and the Anthropic
    // translation do), not answered in text; "auto" and "none" ask for a plain answer anyway.
    for (const required of ['required', { type: 'function', function: { name: 'f' } }]) {
      expect(() => toGeminiRequest(call({ messages, tool_choice: required }))).toThrow(expect.objectContaining({ status: 400, param: 'tool_choice' }));
    }
    for (const plain of ['auto', 'none']) expect(toGeminiRequest(call({ messages, tool_choice: plain }))).toEqual({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] });
    expect(toGeminiRequest(call({ messages, response_format: { type: 'json_object' }, stop: ['a', 'b'] })).generationConfig).toEqual({
      responseMimeType: 'application/json',
      stopSequences: ['a', 'b'],
    });
  });

  it('sends the documented skip-validator signature for Gemini 3 calls whose signature was lost', () => {
    const messages = [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'function', name: 'get_weather', content: '"rain"' },
    ];
    expect(toGeminiRequest(call({ messages }, 'gemini-3-pro-preview')).contents).toEqual([
      { role: 'user', parts: [{ text: 'weather?' }] },
      {
        role: 'model',
        parts: [{ text: 'Checking.' }, { functionCall: { name: 'get_weather', args: { city: 'Oslo' } }, thoughtSignature: 'skip_thought_signature_validator' }],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: 'rain' } } }] },
    ]);
    expect(toGeminiRequest(call({ messages })).contents[1].parts[1]).toEqual({ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } });
    // The model may be named with Gemini's own models/ prefix.
    expect(toGeminiRequest(call({ messages }, 'models/gemini-3-pro-preview')).contents[1].parts[1]).toMatchObject({ thoughtSignature: 'skip_thought_signature_validator' });
  });

  it('maps reasoning_effort to a thinking budget (Gemini 2.5) or level (Gemini 3)', () => {
    const hello = [{ role: 'user', content: 'Hi' }];
    const thinking = (effort: string, model?: string) => toGeminiRequest(call({ messages: hello, reasoning_effort: effort }, model)).generationConfig?.thinkingConfig;
    expect(thinking('none')).toEqual({ thinkingBudget: 0 });
    expect(thinking('none', 'gemini-2.5-pro')).toEqual({ thinkingBudget: 128 });
    expect(thinking('low')).toEqual({ thinkingBudget: 1_024 });
    expect(thinking('high')).toEqual({ thinkingBudget: 24_576 });
    expect(thinking('low', 'gemini-3-pro-preview')).toEqual({ thinkingLevel: 'low' });
    expect(thinking('medium', 'models/gemini-3-flash')).toEqual({ thinkingLevel: 'high' });
    expect(toGeminiRequest(call({ messages: hello })).generationConfig).toBeUndefined();
    expect(() => toGeminiRequest(call({ messages: hello, reasoning_effort: 'max' }))).toThrow(expect.objectContaining({ param: 'reasoning_effort' }));
  });

  it('refuses an output limit below 1 as OpenAI does (Gemini would read 0 as unset and generate up to its cap)', () => {
    const hello = [{ role: 'user', content: 'Hi' }];
    expect(() => toGeminiRequest(call({ messages: hello, max_tokens: 0 }))).toThrow(expect.objectContaining({ status: 400, param: 'max_tokens' }));
    expect(() => toGeminiRequest(call({ messages: hello, max_completion_tokens: 0, max_tokens: 5 }))).toThrow(expect.objectContaining({ status: 400, param: 'max_completion_tokens' }));
    expect(toGeminiRequest(call({ messages: hello, max_tokens: 1 })).generationConfig).toEqual({ maxOutputTokens: 1 });
  });

  it('refuses logprobs rather than answering without them; answers a conversation of system text alone', () => {
    expect(() => toGeminiRequest(call({ messages: [{ role: 'user', content: 'Hi' }], logprobs: true }))).toThrow(expect.objectContaining({ param: 'logprobs', status: 400 }));
    const systemOnly = toGeminiRequest(call({ messages: [{ role: 'system', content: 'Say hi' }] }));
    expect(systemOnly.contents).toEqual([{ role: 'user', parts: [{ text: 'Say hi' }] }]);
    expect(systemOnly.systemInstruction).toBeUndefined();
    expect(() => toGeminiRequest(call({ messages: [] }))).toThrow(expect.objectContaining({ param: 'messages' }));
  });

  it("refuses the deprecated functions and function_call, whose function_call answers it does not write (dropped, the model answered in text)", () => {
    const functions = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const hello = [{ role: 'user', content: 'Weather in Paris?' }];
    expect(() => toGeminiRequest(call({ messages: hello, functions }))).toThrow(expect.objectContaining({ status: 400, param: 'functions' }));
    expect(() => toGeminiRequest(call({ messages: hello, function_call: { name: 'get_weather' } }))).toThrow(expect.objectContaining({ status: 400, param: 'function_call' }));
    // Empty or switched off, they ask for nothing.
    expect(toGeminiRequest(call({ messages: hello, functions: [], function_call: 'none' })).tools).toBeUndefined();
  });

  it('refuses malformed messages as 400s naming the field, never as a gateway fault', () => {
    const refused = (message: Record<string, unknown>, param: string) =>
      expect(() => toGeminiRequest(call({ messages: [message] }))).toThrow(expect.objectContaining({ status: 400, param }));
    for (const toolCalls of [5, {}, 'abc']) refused({ role: 'assistant', content: null, tool_calls: toolCalls }, 'messages[0].tool_calls');
    for (const id of [undefined, 5]) refused({ role: 'assistant', tool_calls: [{ id, type: 'function', function: { name: 'f', arguments: '{}' } }] }, 'messages[0].tool_calls[0].id');
    refused({ role: 'user', content: [{ type: 'file', file: { file_data: 5 } }] }, 'messages[0].content[0]');
    refused({ role: 'user', content: [{ type: 'text', text: 5 }] }, 'messages[0].content[0].text');
    refused({ role: 'assistant', content: [{ type: 'text', text: { nested: true } }] }, 'messages[0].content[0].text');
    // A null tool_calls is "no tool calls", as OpenAI treats it.
    expect(toGeminiRequest(call({ messages: [{ role: 'assistant', content: 'Hi', tool_calls: null }, { role: 'user', content: 'Bye' }] })).contents[0]).toEqual({ role: 'model', parts: [{ text: 'Hi' }] });
  });

  it("types a data URL's image by its bytes: Gemini refuses image/jpg, the label browsers and many tools give JPEGs", () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]).toString('base64');
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const sent = (url: string) => toGeminiRequest(call({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] })).contents[0].parts[0];
    expect(sent(`data:image/jpg;base64,${jpeg}`)).toEqual({ inlineData: { mimeType: 'image/jpeg', data: jpeg } });
    expect(sent(`data:image/jpeg;base64,${png}`)).toEqual({ inlineData: { mimeType: 'image/png', data: png } });
    // Other bytes keep their label (a PDF, an image format of Gemini's own such as HEIC).
    expect(sent('data:image/heic;base64,AAAAGGZ0eXBoZWljAAAAAA==')).toEqual({ inlineData: { mimeType: 'image/heic', data: 'AAAAGGZ0eXBoZWljAAAAAA==' } });
  });

  it('sends audio and PDF data inline, and URL-encoded data URLs as base64', () => {
    const messages = [
      {
        role: 'user',
        content: [
          { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
          { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          { type: 'image_url', image_url: { url: 'data:image/svg+xml,%3Csvg%2F%3E' } },
        ],
      },
    ];
    expect(toGeminiRequest(call({ messages })).contents).toEqual([
      {
        role: 'user',
        parts: [
          { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
          { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
          { inlineData: { mimeType: 'image/svg+xml', data: Buffer.from('<svg/>').toString('base64') } },
        ],
      },
    ]);
  });

  it('guesses an image URL\'s type from its extension, and falls back to JPEG for any other (an Object property name included)', () => {
    const image = (url: string) => ({ type: 'image_url', image_url: { url } });
    const messages = [{ role: 'user', content: [image('https://x/a.PNG?v=1'), image('https://x/b.webp#f'), image('https://x/c.constructor'), image('https://x/d')] }];
    expect(toGeminiRequest(call({ messages })).contents[0].parts).toEqual([
      { fileData: { mimeType: 'image/png', fileUri: 'https://x/a.PNG?v=1' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'https://x/b.webp#f' } },
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://x/c.constructor' } },
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://x/d' } },
    ]);
  });

  it.each([
    [{ messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] }, 'messages[0].tool_call_id'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }, 'messages[0].content[0]'],
    [{ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] }, 'messages[0].content[0]'],
    [{ messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] }, 'messages[0].tool_calls[0].function.arguments'],
    [{ messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'custom', custom: { name: 'grammar' } }] }, 'tools[0]'],
    [{ messages: 'hi' }, 'messages'],
  ])('refuses what Gemini cannot take, naming the parameter (%#)', (body, param) => {
    let thrown: unknown;
    try {
      toGeminiRequest(call(body as Record<string, unknown>));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).param).toBe(param);
    expect((thrown as GatewayError).status).toBe(400);
  });
});

describe('toGeminiRequest on malformed messages', () => {
  it('refuses them as the client\'s error (400), not by throwing a TypeError (500)', () => {
    const refused = (messages: unknown[]) => {
      try {
        toGeminiRequest(call({ messages }));
        return null;
      } catch (error) {
        return error;
      }
    };
    for (const messages of [
      [{ role: 'assistant', tool_calls: [{ id: 'a' }] }],
      [{ role: 'assistant', tool_calls: [null] }],
      [{ role: 'user', content: [{ type: 'input_audio' }] }],
      [{ role: 'user', content: [null] }],
    ]) {
      const error = refused(messages);
      expect({ messages, error: error instanceof GatewayError }).toEqual({ messages, error: true });
      expect((error as GatewayError).status).toBe(400);
    }
  });
});
