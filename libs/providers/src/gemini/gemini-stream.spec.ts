import { ChatCall } from '../provider-adapter';
import { SseSplitter } from '../sse/sse-splitter';
import { fixedIds, fixture, jsonFixture } from './__fixtures__/fixtures';
import { GeminiStreamTranslator } from './gemini-stream';

const call: ChatCall = { body: { model: 'gemini-2.5-flash', messages: [], stream: true }, model: 'gemini-2.5-flash', stream: true };

/** Replays recorded bytes cut every `size` bytes (mid-character, mid-CRLF) through the splitter. */
function replay(recording: Buffer, translator: GeminiStreamTranslator, size: number): string {
  const splitter = new SseSplitter();
  let out = '';
  for (let at = 0; at < recording.length; at += size) {
    for (const event of splitter.push(recording.subarray(at, at + size))) out += translator.push(event);
  }
  const rest = splitter.flush();
  if (rest) out += translator.push(rest);
  return out + translator.end();
}

/** Client frames as objects ([DONE] kept as the string), checking the `data: ...\n\n` framing. */
function frames(text: string): unknown[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      expect(frame.startsWith('data: ')).toBe(true);
      const data = frame.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

describe('GeminiStreamTranslator', () => {
  it.each([1, 2, 7, 64, 100_000])('translates a recorded alt=sse stream cut every %i bytes', (size) => {
    const translator = new GeminiStreamTranslator(call, true, fixedIds());
    expect(frames(replay(fixture('chat-stream.gemini.sse'), translator, size))).toEqual(jsonFixture('chat-stream.openai.json'));
    expect(translator.usage).toEqual({ promptTokens: 9, completionTokens: 36 });
    expect(translator.model).toBe('gemini-2.5-flash');
    expect(translator.completionText).toBe('Bonjour, ça va ? ☀️ Il fait beau.');
  });

  it('leaves out the usage chunk and the usage fields when the client did not ask for usage', () => {
    const translator = new GeminiStreamTranslator(call, false, fixedIds());
    const expected = jsonFixture<unknown[]>('chat-stream.openai.json')
      .filter((chunk) => typeof chunk === 'string' || (chunk as { choices: unknown[] }).choices.length > 0)
      .map((chunk) => (typeof chunk === 'string' ? chunk : { ...(chunk as object), usage: undefined }));
    const got = frames(replay(fixture('chat-stream.gemini.sse'), translator, 5));
    expect(got).toEqual(expected);
    expect(got.every((chunk) => typeof chunk === 'string' || !('usage' in (chunk as object)))).toBe(true);
    expect(translator.usage).toEqual({ promptTokens: 9, completionTokens: 36 });
  });

  it('sends function calls as complete tool_calls deltas with indexes, then finish_reason tool_calls', () => {
    const translator = new GeminiStreamTranslator(call, false, fixedIds());
    const base = { id: 'chatcmpl-tools-1', object: 'chat.completion.chunk', created: 1_760_000_000, model: 'gemini-2.5-flash' };
    expect(frames(replay(fixture('tool-stream.gemini.sse'), translator, 13))).toEqual([
      {
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              role: 'assistant',
              tool_calls: [
                { index: 0, id: 'call_1__thought__c2lnLTI=', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
                { index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
              ],
            },
            logprobs: null,
            finish_reason: null,
          },
        ],
      },
      { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }] },
      '[DONE]',
    ]);
    expect(translator.usage).toEqual({ promptTokens: 30, completionTokens: 12 });
  });

  it('keeps only the first function call when the client set parallel_tool_calls to false', () => {
    const single: ChatCall = { ...call, body: { ...call.body, parallel_tool_calls: false } };
    const translator = new GeminiStreamTranslator(single, false, fixedIds());
    const calls = frames(replay(fixture('tool-stream.gemini.sse'), translator, 13))
      .filter((frame): frame is Record<string, unknown> => typeof frame !== 'string')
      .flatMap((frame) => (frame.choices as Array<{ delta: { tool_calls?: Array<{ index: number; function: { name: string } }> } }>)[0]?.delta.tool_calls ?? []);
    expect(calls.map((c) => [c.index, c.function.name])).toEqual([[0, 'get_weather']]);
  });

  it('answers a blocked prompt with an empty content_filter choice', () => {
    const translator = new GeminiStreamTranslator(call, false, fixedIds());
    const event = `data: ${JSON.stringify({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } })}\r\n\r\n`;
    const base = { id: 'chatcmpl-fixed', object: 'chat.completion.chunk', created: 1_760_000_000, model: 'gemini-2.5-flash' };
    expect(frames(translator.push(event) + translator.end())).toEqual([
      { ...base, choices: [{ index: 0, delta: { role: 'assistant' }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'content_filter' }] },
      '[DONE]',
    ]);
  });

  it('turns an in-stream Google error into an OpenAI error frame', () => {
    const translator = new GeminiStreamTranslator(call, true, fixedIds());
    const event = `data: ${JSON.stringify({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } })}\r\n\r\n`;
    expect(translator.push(event)).toBe(
      `data: ${JSON.stringify({ error: { message: 'The model is overloaded. Please try again later.', type: 'api_error', param: null, code: 'unavailable' } })}\n\n`,
    );
    // The error ends the stream: nothing more is read, and no [DONE] follows the error frame.
    expect(translator.done).toBe(true);
    expect(translator.end()).toBe('');
    expect(translator.errorCode).toBe('unavailable');
  });

  it('reports no usage when the stream stops before the final usageMetadata, so the gateway estimates', () => {
    const translator = new GeminiStreamTranslator(call, true, fixedIds());
    const recording = fixture('chat-stream.gemini.sse').toString('utf8');
    const firstTwo = recording.split('\r\n\r\n').slice(0, 2).map((event) => `${event}\r\n\r\n`);
    firstTwo.forEach((event) => translator.push(event));
    // No finishReason: the answer is incomplete, and the relay turns this into an error frame.
    expect(() => translator.end()).toThrow(expect.objectContaining({ code: 'upstream_unreachable', message: expect.stringContaining('before the answer was complete') }));
    expect(translator.usage).toBeNull();
    expect(translator.completionText).toBe('Bonjour, ça va ? ');
  });

  it('drops comments and unparseable events', () => {
    const translator = new GeminiStreamTranslator(call, false, fixedIds());
    expect(translator.push(': keep-alive\r\n\r\n')).toBe('');
    expect(translator.push('data: {not json\r\n\r\n')).toBe('');
    expect(translator.usage).toBeNull();
  });
});
