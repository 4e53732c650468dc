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
});
