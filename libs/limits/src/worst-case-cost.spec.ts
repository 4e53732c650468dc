import { CostCalculator } from '@tollgate/reporting';
import { worstCaseCostUsd } from './worst-case-cost';

describe('worstCaseCostUsd', () => {
  const calculator = new CostCalculator(() => ({ inputUsdPerMillionTokens: 1_000_000, outputUsdPerMillionTokens: 2_000_000 }));
  // With these prices a token costs $1 in and $2 out, so the result reads as token counts.

  it('reserves the counted prompt with overhead plus max_tokens per choice', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hello world' }], max_tokens: 10, n: 2 };
    // "hello world" = 2 tokens → ceil(2.2) = 3, + 4 per message + 16 = 23 in; 10 x 2 choices x $2 = 40 out.
    expect(worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body, generates: true, defaultMaxTokens: 99 })).toBe(23 + 40);
  });

  it('falls back to the default max tokens, and reserves no output for embeddings', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hello world' }] };
    expect(worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body, generates: true, defaultMaxTokens: 5 })).toBe(23 + 10);
    expect(worstCaseCostUsd(calculator, { provider: 'openai', model: 'm', body: { input: 'hello world' }, generates: false, defaultMaxTokens: 5 })).toBe(3 + 4 + 16);
  });

  it('returns null for an unpriced model', () => {
    const unpriced = new CostCalculator(() => undefined);
    expect(worstCaseCostUsd(unpriced, { provider: 'openai', model: 'nobody-prices-this', body: { messages: [] }, generates: true, defaultMaxTokens: 5 })).toBeNull();
  });
});
