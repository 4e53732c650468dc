import { estimateTokens, promptTextOf } from './token-estimator';

describe('token estimation', () => {
  it('collects prompt text from chat messages, content parts and embedding input', () => {
    expect(
      promptTextOf({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image_url', image_url: { url: 'x' } }] },
        ],
      }),
    ).toBe('Be brief.\nHi');
    expect(promptTextOf({ input: ['a', 'b'] })).toBe('a\nb');
    expect(promptTextOf(null)).toBe('');
  });

  it('counts tokens with the tokenizer', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('hello world')).toBe(2);
  });
});
