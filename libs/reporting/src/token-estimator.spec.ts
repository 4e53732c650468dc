import { randomBytes } from 'node:crypto';
import { countTokens } from 'gpt-tokenizer';
import { promptTextOf } from './prompt-parts';
import { countedPartOf, estimateTokens, tokenUpperBound } from './token-estimator';

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

  it('counts long text in pieces, never below the whole-text count', () => {
    const word = Array.from({ length: 5_000 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join('');
    // Cutting a word can only add tokens: the count stays an upper bound for reservations.
    expect(estimateTokens(word)).toBeGreaterThanOrEqual(countTokens(word));
    expect(estimateTokens(word)).toBeLessThanOrEqual(5_000);
  });

  it('bills a very long text by its tokens; only a reservation is bounded by its bytes', () => {
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(5_000);
    // What is recorded stays close to the tokenizer's own count, however long the text.
    expect(estimateTokens(prose)).toBeGreaterThanOrEqual(countTokens(prose));
    expect(estimateTokens(prose)).toBeLessThan(countTokens(prose) * 1.01);
    // Admission, on the request path, does not spend the tokenizer's time past 200,000 characters.
    expect(tokenUpperBound(prose)).toBe(225_000);
    expect(tokenUpperBound(prose.slice(0, 180_000))).toBe(estimateTokens(prose.slice(0, 180_000)));
  });

  it('counts the first 250,000 characters of a huge text and bounds the rest by its bytes, never below the real count', () => {
    // Base64 is slow to tokenize: all 4,000,000 characters of such a text took about 15 s.
    const noise = randomBytes(750_000).toString('base64');
    expect(noise).toHaveLength(1_000_000);
    expect(estimateTokens(noise)).toBe(estimateTokens(noise.slice(0, 250_000)) + 750_000);
    // Cheap text first, then costly text: still an upper bound.
    const mixed = 'a'.repeat(250_000) + '漢字かな交じり文'.repeat(10_000);
    let actual = 0;
    for (let start = 0; start < mixed.length; start += 1_000) actual += countTokens(mixed.slice(start, start + 1_000));
    expect(estimateTokens(mixed)).toBeGreaterThanOrEqual(actual);
  });

  it('keeps of a text only what the estimate reads, and the estimate from it is the same', () => {
    expect(countedPartOf('hello world')).toEqual({ text: 'hello world', uncountedTokens: 0 });
    // A character of two UTF-16 units across the cut: each side is measured as the estimate measures it.
    const texts = ['b'.repeat(249_999) + '🦊'.repeat(100_000), 'The quick brown fox. '.repeat(20_000) + 'ünïcödé 漢字 '.repeat(20_000), 'x'.repeat(250_000)];
    for (const text of texts) {
      const part = countedPartOf(text);
      expect(part.text.length).toBeLessThanOrEqual(250_000);
      expect(estimateTokens(part.text) + part.uncountedTokens).toBe(estimateTokens(text));
    }
  });
});
