import { GatewayError } from '@tollgate/common';
import { ChatCall } from '../provider-adapter';
import { fixedIds, fixture, jsonFixture } from './__fixtures__/fixtures';
import { fromGeminiResponse } from './gemini-response';

const call: ChatCall = { body: { model: 'gemini/gemini-2.5-flash', messages: [] }, model: 'gemini-2.5-flash', stream: false };

describe('fromGeminiResponse', () => {
  it('translates candidates, text, function calls (signature in the id), finish reasons and usage', () => {
    expect(fromGeminiResponse(fixture('chat-response.gemini.json'), call, fixedIds())).toEqual({
      body: jsonFixture('chat-response.openai.json'),
      usage: { promptTokens: 52, completionTokens: 68, cacheReadTokens: 16 },
      model: 'gemini-2.5-flash',
      completionText: 'Checking Paris.get_weather{"city":"Paris","unit":"c"}get_time{}It is sunny in Paris and the forecast is',
    });
  });

  it('names the requested model when Gemini\'s modelVersion is not text', () => {
    for (const modelVersion of [7, { x: 1 }]) {
      const raw = Buffer.from(JSON.stringify({ modelVersion, candidates: [{ content: { parts: [{ text: 'hi' }], role: 'model' }, finishReason: 'STOP' }] }));
      const translated = fromGeminiResponse(raw, call, fixedIds());
      expect([translated.model, (translated.body as { model: unknown }).model]).toEqual([null, 'gemini-2.5-flash']);
    }
  });

  it('keeps only the first function call when the client set parallel_tool_calls to false', () => {
    const single: ChatCall = { ...call, body: { ...call.body, parallel_tool_calls: false } };
    const body = fromGeminiResponse(fixture('chat-response.gemini.json'), single, fixedIds()).body as { choices: Array<{ message: { tool_calls?: Array<{ function: { name: string } }> } }> };
    expect(body.choices[0].message.tool_calls?.map((c) => c.function.name)).toEqual(['get_weather']);
  });

  it('says when Gemini failed to form a function call, rather than answering an empty stop', () => {
    const raw = Buffer.from(JSON.stringify({ candidates: [{ content: { parts: [], role: 'model' }, finishReason: 'MALFORMED_FUNCTION_CALL' }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 0, totalTokenCount: 9 } }));
    const translated = fromGeminiResponse(raw, call, fixedIds());
    expect((translated.body as { choices: Array<{ finish_reason: string }> }).choices[0].finish_reason).toBe('malformed_function_call');
    // Gemini billed the prompt: the usage stays.
    expect(translated.usage).toEqual({ promptTokens: 9, completionTokens: 0 });
  });

  it('turns a prompt blocked for safety into one empty content_filter choice', () => {
    expect(fromGeminiResponse(fixture('safety-block.gemini.json'), call, fixedIds())).toEqual({
      body: jsonFixture('safety-block.openai.json'),
      usage: { promptTokens: 8, completionTokens: 0 },
      model: 'gemini-2.5-flash',
      completionText: '',
    });
  });

  it('maps answers filtered mid-way to content_filter, and falls back to our id, the call model and no usage', () => {
    const raw = Buffer.from(JSON.stringify({ candidates: [{ content: { parts: [], role: 'model' }, finishReason: 'RECITATION' }] }));
    expect(fromGeminiResponse(raw, call, fixedIds())).toEqual({
      body: {
        id: 'chatcmpl-fixed',
        object: 'chat.completion',
        created: 1_760_000_000,
        model: 'gemini-2.5-flash',
        choices: [{ index: 0, message: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: 'content_filter' }],
      },
      usage: null,
      model: null,
      completionText: '',
    });
  });

  it('reports a body that is not JSON as an upstream failure', () => {
    expect(() => fromGeminiResponse(Buffer.from('<html>'), call, fixedIds())).toThrow(GatewayError);
  });
});
