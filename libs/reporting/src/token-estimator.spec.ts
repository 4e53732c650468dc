import { countTokens } from 'gpt-tokenizer';
import { promptTextOf } from './prompt-parts';
import { estimateTokens } from './token-estimator';

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

  it('counts long text in pieces, never below the whole-text count, and bounds very long text by bytes', () => {
    const word = Array.from({ length: 5_000 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join('');
    // Cutting a word can only add tokens: the count stays an upper bound for reservations.
    expect(estimateTokens(word)).toBeGreaterThanOrEqual(countTokens(word));
    expect(estimateTokens(word)).toBeLessThanOrEqual(5_000);
    expect(estimateTokens('x'.repeat(300_000))).toBe(300_000);
  });
});
