import { OpenAIStreamPassthrough } from './openai-compatible.adapter';

const chunk = (fields: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }], ...fields })}\n\n`;

describe('OpenAIStreamPassthrough', () => {
  it("drops the \"usage\": null that asking for usage added to every chunk, when the client did not ask", () => {
    const relay = new OpenAIStreamPassthrough(false);
    relay.push(chunk({ usage: null }));
    expect(relay.push(chunk({ usage: null }))).toBe(chunk({}));
    // Followed by another member, as OpenAI's chunks are (obfuscation), or first of all.
    expect(relay.push(chunk({ usage: null, obfuscation: 'ZGF' }))).toBe(chunk({ obfuscation: 'ZGF' }));
    expect(relay.push(`data: {"usage":null,"id":"c1","choices":[]}\r\n\r\n`)).toBe(`data: {"id":"c1","choices":[]}\r\n\r\n`);
    // JSON written with spaces (Python's json.dumps), as some OpenAI-compatible servers do.
    expect(relay.push(`data: {"id": "c1", "choices": [], "usage": null}\n\n`)).toBe(`data: {"id": "c1", "choices": []}\n\n`);
    expect(relay.push(`data: {"usage": null, "id": "c1"}\n\n`)).toBe(`data: {"id": "c1"}\n\n`);
  });

  it('keeps them when the client asked, and never touches a usage member inside the chunk', () => {
    expect(new OpenAIStreamPassthrough(true).push(chunk({ usage: null }))).toBe(chunk({ usage: null }));
    // Only a nested one, and text that spells the member inside a string.
    const nested = `data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: { content: '"usage":null}' }, meta: { usage: null, n: 1 } }] })}\n\n`;
    expect(new OpenAIStreamPassthrough(false).push(nested)).toBe(nested);
    const argumentsOnly = `data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: { tool_calls: [{ function: { arguments: '{"usage":null,"b":2}' } }] } }] })}\n\n`;
    expect(new OpenAIStreamPassthrough(false).push(argumentsOnly)).toBe(argumentsOnly);
  });

  describe('a stream whose protocol marks the end (endRequired)', () => {
    const finished = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;

    it('is cut off when the body closes before [DONE] or any finish_reason: end() throws, so the client gets an error frame', () => {
      const relay = new OpenAIStreamPassthrough(false, { endRequired: true });
      relay.push(chunk({}));
      expect(() => relay.end()).toThrow(/ended the stream before the answer was complete/);
    });

    it('is whole with [DONE], with a finish_reason but no [DONE] (servers that omit it), or after an error frame', () => {
      const done = new OpenAIStreamPassthrough(false, { endRequired: true });
      done.push(chunk({}));
      done.push('data: [DONE]\n\n');
      expect(done.end()).toBe('');
      const noDone = new OpenAIStreamPassthrough(false, { endRequired: true });
      noDone.push(chunk({}));
      noDone.push(finished);
      expect(noDone.end()).toBe('');
      const failed = new OpenAIStreamPassthrough(false, { endRequired: true });
      failed.push(`data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`);
      expect(failed.end()).toBe('');
    });

    it('reads a finish_reason only as a member, not inside generated text', () => {
      const relay = new OpenAIStreamPassthrough(false, { endRequired: true });
      relay.push(chunk({}));
      relay.push(`data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: { content: '{"finish_reason": "stop"}' }, finish_reason: null }] })}\n\n`);
      expect(() => relay.end()).toThrow();
    });

    it('is whole after a Responses API end event, cut off after only its deltas', () => {
      const event = (type: string, extra: Record<string, unknown> = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, ...extra })}\n\n`;
      const whole = new OpenAIStreamPassthrough(true, { endRequired: true });
      whole.push(event('response.output_text.delta', { delta: 'Hi' }));
      whole.push(event('response.completed', { response: { id: 'r1', model: 'gpt-4o', usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } } }));
      expect(whole.end()).toBe('');
      const cut = new OpenAIStreamPassthrough(true, { endRequired: true });
      cut.push(event('response.created', { response: { id: 'r1', model: 'gpt-4o', usage: null } }));
      cut.push(event('response.output_text.delta', { delta: 'Hi' }));
      expect(() => cut.end()).toThrow();
    });

    it('is not asked of other streams: they end as their upstream ends them', () => {
      const relay = new OpenAIStreamPassthrough(true);
      relay.push('event: thread.message.delta\ndata: {"id":"m1","delta":{}}\n\n');
      expect(relay.end()).toBe('');
    });
  });
});
