import { OpenAIStreamObserver } from './openai-stream';

const chunk = (body: object) => `data: ${JSON.stringify(body)}\n\n`;
const content = (text: string) =>
  chunk({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: text } }], usage: null });
const usageChunk = chunk({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } });

describe('OpenAIStreamObserver', () => {
  it('captures usage, model and text, and strips the usage chunk the client did not ask for', () => {
    const observer = new OpenAIStreamObserver(false);
    const relayed = [content('Hel'), content('lo'), usageChunk, 'data: [DONE]\n\n'].filter((e) => observer.observe(e));
    expect(relayed).toEqual([content('Hel'), content('lo'), 'data: [DONE]\n\n']);
    expect(observer.usage).toEqual({ promptTokens: 9, completionTokens: 2 });
    expect(observer.model).toBe('gpt-4o-mini');
    expect(observer.completionText).toBe('Hello');
    expect(observer.sawDone).toBe(true);
  });

  it('keeps the usage chunk when the client asked for it', () => {
    const observer = new OpenAIStreamObserver(true);
    expect(observer.observe(usageChunk)).toBe(true);
  });

  it('relays comments and unparseable data untouched', () => {
    const observer = new OpenAIStreamObserver(false);
    expect(observer.observe(': ping\n\n')).toBe(true);
    expect(observer.observe('data: not-json\n\n')).toBe(true);
    expect(observer.usage).toBeNull();
  });
});
