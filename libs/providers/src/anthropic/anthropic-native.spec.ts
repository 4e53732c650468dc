import { AnthropicNativeStreamObserver, readAnthropicResponse } from './anthropic-native';

const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

describe('Anthropic native accounting', () => {
  it('relays every event untouched while reading usage and text', () => {
    const observer = new AnthropicNativeStreamObserver();
    const events = [
      event('message_start', { message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 1 } } }),
      event('ping', {}),
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi ' } }),
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'there' } }),
      event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } }),
      event('message_stop', {}),
    ];
    expect(events.map((e) => observer.push(e))).toEqual(events);
    expect(observer.usage).toEqual({ promptTokens: 15, completionTokens: 7, cacheReadTokens: 5 });
    expect(observer.model).toBe('claude-sonnet-4-5');
    expect(observer.completionText).toBe('Hi there');
  });

  it('is done at message_stop, at an error event and at the last event of a legacy completion stream', () => {
    for (const last of [event('message_stop', {}), event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }), event('completion', { completion: '.', stop_reason: 'stop_sequence' })]) {
      const observer = new AnthropicNativeStreamObserver();
      observer.push(event('ping', {}));
      expect(observer.done).toBe(false);
      expect(observer.push(last)).toBe(last);
      expect([last, observer.done, observer.end()]).toEqual([last, true, '']);
    }
  });

  it("reads the one-hour share of the cache writes, streamed or not", () => {
    const usage = { input_tokens: 10, cache_creation_input_tokens: 100_000, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100_000 }, output_tokens: 10 };
    const expected = { promptTokens: 100_010, completionTokens: 10, cacheWriteTokens: 100_000, cacheWrite1hTokens: 100_000 };
    expect(readAnthropicResponse(Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', content: [], usage }))).usage).toEqual(expected);
    const observer = new AnthropicNativeStreamObserver();
    observer.push(event('message_start', { message: { model: 'claude-sonnet-4-5', usage: { ...usage, output_tokens: 1 } } }));
    // message_delta repeats counts, the breakdown as null at times: what message_start said stands.
    observer.push(event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 10, cache_creation: null } }));
    expect(observer.usage).toEqual(expected);
  });

  it('counts the text of a legacy Text Completions stream, which reports no usage', () => {
    const observer = new AnthropicNativeStreamObserver();
    for (const [completion, stopReason] of [[' Hello', null], [' there,', null], [' friend.', 'stop_sequence']] as const) {
      observer.push(event('completion', { completion, stop_reason: stopReason, model: 'claude-2.1' }));
    }
    expect([observer.usage, observer.completionText, observer.model, observer.done]).toEqual([null, ' Hello there, friend.', 'claude-2.1', true]);
  });

  it('fails a stream whose body ended before message_stop: the relay sends the client an error event', () => {
    const observer = new AnthropicNativeStreamObserver();
    observer.push(event('message_start', { message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 1, output_tokens: 1 } } }));
    observer.push(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }));
    observer.push(event('completion', { completion: 'x', stop_reason: null }));
    expect(() => observer.end()).toThrow(expect.objectContaining({ code: 'upstream_unreachable' }));
  });

  it('takes a model only when Anthropic names it as text (streamed or not)', () => {
    const observer = new AnthropicNativeStreamObserver();
    observer.push(event('message_start', { message: { model: 42, usage: { input_tokens: 1, output_tokens: 1 } } }));
    expect(observer.model).toBeNull();
    expect(readAnthropicResponse(Buffer.from(JSON.stringify({ model: { x: 1 }, content: [{ type: 'text', text: 'hi' }] }))).model).toBeNull();
  });

  it('keeps the start\'s cache counts when message_delta repeats usage with input counts and null cache fields', () => {
    const observer = new AnthropicNativeStreamObserver();
    observer.push(event('message_start', { message: { model: 'm', usage: { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 20, output_tokens: 1 } } }));
    observer.push(event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 10, cache_creation_input_tokens: null, cache_read_input_tokens: null, output_tokens: 42 } }));
    expect(observer.usage).toStrictEqual({ promptTokens: 35, completionTokens: 42, cacheReadTokens: 20, cacheWriteTokens: 5 });
  });

  it('says its usage is not final until message_delta, and keeps thinking and tool arguments to count', () => {
    const observer = new AnthropicNativeStreamObserver();
    observer.push(event('message_start', { message: { model: 'm', usage: { input_tokens: 10, output_tokens: 1 } } }));
    observer.push(event('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Let me think. ' } }));
    observer.push(event('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'abc' } }));
    observer.push(event('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Calling. ' } }));
    observer.push(event('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"city":"Paris"}' } }));
    // Cut here: the count so far is message_start's placeholder.
    expect(observer.usage).toEqual({ promptTokens: 10, completionTokens: 1 });
    expect(observer.usageFinal).toBe(false);
    expect(observer.completionText).toBe('Let me think. Calling. {"city":"Paris"}');
    observer.push(event('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 30 } }));
    expect(observer.usageFinal).toBe(true);
    expect(observer.usage).toEqual({ promptTokens: 10, completionTokens: 30 });
  });

  it('relays an in-stream error event and remembers its type for the request\'s event', () => {
    const observer = new AnthropicNativeStreamObserver();
    const error = event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(observer.push(error)).toBe(error);
    expect(observer.errorCode).toBe('overloaded_error');
  });

  it('reads a Message and a legacy Completion', () => {
    const message = readAnthropicResponse(Buffer.from(JSON.stringify({ model: 'claude-x', content: [{ type: 'text', text: 'ok' }], usage: { input_tokens: 3, output_tokens: 2 } })));
    expect(message).toMatchObject({ usage: { promptTokens: 3, completionTokens: 2 }, model: 'claude-x', completionText: 'ok' });
    const completion = readAnthropicResponse(Buffer.from(JSON.stringify({ type: 'completion', completion: ' Hello', model: 'claude-2' })));
    expect(completion).toMatchObject({ usage: null, completionText: ' Hello' });
  });
});
