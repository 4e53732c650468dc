import { calcPrice, findProvider } from '@pydantic/genai-prices';
import { CostCalculator } from './cost-calculator';

describe('CostCalculator', () => {
  const calculator = new CostCalculator((provider, model) =>
    provider === 'openai' && model === 'my-finetune' ? { inputUsdPerMillionTokens: 2, outputUsdPerMillionTokens: 8 } : undefined,
  );

  it('prices a known model from the bundled table, dated snapshots included', () => {
    // gpt-4o-mini: $0.15 / M input, $0.60 / M output.
    expect(calculator.price('openai', 'gpt-4o-mini', 1_000_000, 0)).toEqual({ costUsd: 0.15, priceKnown: true });
    expect(calculator.price('openai', 'gpt-4o-mini-2024-07-18', 1000, 100).costUsd).toBeCloseTo(0.00021, 10);
  });

  it('prices cached prompt tokens at the cache rates', () => {
    // gpt-4o-mini: input $0.15 / M, cached input $0.075 / M.
    const full = calculator.price('openai', 'gpt-4o-mini', 1_000_000, 0).costUsd!;
    const halfCached = calculator.price('openai', 'gpt-4o-mini', 1_000_000, 0, { readTokens: 500_000 }).costUsd!;
    expect(full).toBeCloseTo(0.15, 10);
    expect(halfCached).toBeCloseTo(0.075 + 0.0375, 10);
  });

  it("prices Anthropic's one-hour cache writes at twice the input price, five-minute ones at the table's write rate", () => {
    // claude-sonnet-4-5: $3 / M input, $15 / M output, five-minute writes $3.75 / M.
    const prompt = 10 + 100_000;
    expect(calculator.price('anthropic', 'claude-sonnet-4-5', prompt, 10, { writeTokens: 100_000, write1hTokens: 100_000 }).costUsd).toBeCloseTo(0.00003 + 0.6 + 0.00015, 10);
    expect(calculator.price('anthropic', 'claude-sonnet-4-5', prompt, 10, { writeTokens: 100_000 }).costUsd).toBeCloseTo(0.00003 + 0.375 + 0.00015, 10);
    // Mixed lifetimes; a one-hour count above the writes is held to them.
    expect(calculator.price('anthropic', 'claude-sonnet-4-5', prompt, 10, { writeTokens: 100_000, write1hTokens: 40_000 }).costUsd).toBeCloseTo(0.00003 + 0.24 + 0.225 + 0.00015, 10);
    expect(calculator.price('anthropic', 'claude-sonnet-4-5', prompt, 10, { writeTokens: 100_000, write1hTokens: 900_000 }).costUsd).toBeCloseTo(0.00003 + 0.6 + 0.00015, 10);
    const override = new CostCalculator(() => ({ inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15, cacheWriteUsdPerMillionTokens: 3.75 }));
    expect(override.price('anthropic', 'claude-x', prompt, 10, { writeTokens: 100_000, write1hTokens: 60_000 }).costUsd).toBeCloseTo(0.00003 + 0.36 + 0.15 + 0.00015, 10);
  });

  it('says whether audio in and out have rates of their own: the table\'s where it has them, an admin\'s price always', () => {
    const both = { input: true, output: true };
    // gpt-audio: audio $32 / $64 per million against text $2.50 / $10.
    expect(calculator.pricesAudio('openai', 'gpt-audio', both)).toBe(true);
    // gemini-2.5-flash: audio input $1 against text $0.30; no audio output rate.
    expect(calculator.pricesAudio('gemini', 'gemini-2.5-flash', { input: true, output: false })).toBe(true);
    expect(calculator.pricesAudio('gemini', 'gemini-2.5-flash', { input: true, output: true })).toBe(false);
    // The table prices these models' audio as text.
    expect(calculator.pricesAudio('openai', 'gpt-4o-mini-audio-preview', { input: true, output: false })).toBe(false);
    expect(calculator.pricesAudio('openai', 'gpt-4o-mini', { input: false, output: true })).toBe(false);
    expect(calculator.pricesAudio('vllm', 'some-audio-model', both)).toBe(false);
    // An admin's price is the model's whole price.
    expect(calculator.pricesAudio('openai', 'my-finetune', both)).toBe(true);
  });

  it('prices a prompt with both cached and audio tokens (the table refused the count: the event went unpriced)', () => {
    // gemini-2.5-flash: text $0.30, audio $1, cached $0.03 per million input tokens.
    const both = calculator.price('gemini', 'gemini-2.5-flash', 1_000_000, 0, { readTokens: 500_000, inputAudioTokens: 300_000 });
    expect(both.priceKnown).toBe(true);
    expect(both.costUsd).toBeGreaterThan(calculator.price('gemini', 'gemini-2.5-flash', 1_000_000, 0, { readTokens: 500_000 }).costUsd!);
  });

  it('applies an admin override before the table', () => {
    expect(calculator.price('openai', 'my-finetune', 500_000, 250_000)).toEqual({ costUsd: 3, priceKnown: true });
  });

  it('never gives a self-hosted model a cloud list price', () => {
    expect(calculator.price('vllm', 'gpt-4o-mini', 1000, 100)).toEqual({ costUsd: null, priceKnown: false });
    expect(calculator.price('my-custom-llm', 'gpt-4o-mini', 1000, 100)).toEqual({ costUsd: null, priceKnown: false });
    // Custom provider names are the admin's: one that names an Object property is just unknown.
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(calculator.price(name, 'gpt-4o-mini', 1000, 100)).toEqual({ costUsd: null, priceKnown: false });
    }
  });

  it('prices cached prompt tokens at the cache rates an override names, else at its input price', () => {
    const withRates = new CostCalculator(() => ({ inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15, cacheReadUsdPerMillionTokens: 0.3, cacheWriteUsdPerMillionTokens: 3.75 }));
    // 1M prompt tokens: 600k read from the cache, 100k written to it, 300k plain; 1M output.
    expect(withRates.price('anthropic', 'claude-x', 1_000_000, 1_000_000, { readTokens: 600_000, writeTokens: 100_000 }).costUsd).toBeCloseTo(0.9 + 0.18 + 0.375 + 15, 10);
    const withoutRates = new CostCalculator(() => ({ inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15 }));
    expect(withoutRates.price('anthropic', 'claude-x', 1_000_000, 0, { readTokens: 600_000, writeTokens: 100_000 }).costUsd).toBeCloseTo(3, 10);
    const nullRates = new CostCalculator(() => ({ inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15, cacheReadUsdPerMillionTokens: null, cacheWriteUsdPerMillionTokens: null }));
    expect(nullRates.price('anthropic', 'claude-x', 1_000_000, 0, { readTokens: 600_000 }).costUsd).toBeCloseTo(3, 10);
  });

  it('never refunds (an override given negative counts) and never throws (the table given inconsistent ones)', () => {
    expect(calculator.price('openai', 'my-finetune', 1000, -900)).toEqual({ costUsd: 0, priceKnown: true });
    expect(calculator.price('openai', 'gpt-4o-mini', 100, 10, { readTokens: 200 })).toEqual({ costUsd: null, priceKnown: false });
    expect(calculator.price('openai', 'gpt-4o-mini', 100, -10)).toEqual({ costUsd: null, priceKnown: false });
  });

  it('flags an unknown model instead of pricing it at zero', () => {
    expect(calculator.price('openai', 'no-such-model-xyz', 10, 10)).toEqual({ costUsd: null, priceKnown: false });
    expect(calculator.price('openai', '', 10, 10)).toEqual({ costUsd: null, priceKnown: false });
  });

  it("prices every model of the table exactly as the library does, from its first call and from its remembered match", () => {
    const fresh = new CostCalculator(() => undefined);
    const usages: Array<[number, number, { readTokens?: number; writeTokens?: number }]> = [
      [1_000, 100, {}],
      // Past the long-context tiers (Gemini's 200k, for one), with cached tokens.
      [300_000, 20_000, { readTokens: 100_000, writeTokens: 10_000 }],
    ];
    let compared = 0;
    for (const [ours, table] of [['openai', 'openai'], ['azure', 'azure'], ['anthropic', 'anthropic'], ['gemini', 'google']]) {
      const provider = findProvider({ providerId: table })!;
      // Azure's list falls back to OpenAI's (and others'): those models must match the same way.
      const fallbacks = (provider.fallback_model_providers ?? []).flatMap((id) => findProvider({ providerId: id })?.models ?? []);
      for (const model of [...provider.models, ...fallbacks]) {
        for (const [prompt, completion, cache] of usages) {
          const library = calcPrice({ input_tokens: prompt, output_tokens: completion, cache_read_tokens: cache.readTokens, cache_write_tokens: cache.writeTokens }, model.id, { providerId: table });
          const expected = library ? { costUsd: Math.round(library.total_price * 1e10) / 1e10, priceKnown: true } : { costUsd: null, priceKnown: false };
          // Twice: the first call matches the model, the second uses the remembered match.
          expect([model.id, fresh.price(ours, model.id, prompt, completion, cache)]).toEqual([model.id, expected]);
          expect([model.id, fresh.price(ours, model.id, prompt, completion, cache)]).toEqual([model.id, expected]);
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('prices names as the client sends them (case, spaces, dated snapshots) exactly as the library does', () => {
    const fresh = new CostCalculator(() => undefined);
    const names: Array<[string, string, string]> = [
      ['openai', 'openai', 'gpt-4o-mini'],
      ['openai', 'openai', 'GPT-4o-Mini'],
      ['openai', 'openai', ' gpt-4o-mini '],
      ['openai', 'openai', 'gpt-4o-mini-2024-07-18'],
      ['azure', 'azure', 'GPT-4o-mini'],
      ['anthropic', 'anthropic', 'claude-3-5-haiku-20241022'],
      ['gemini', 'google', 'Gemini-2.5-Flash'],
      ['openai', 'openai', `gpt-4o-mini${'x'.repeat(1_000)}`],
    ];
    for (const [ours, table, name] of names) {
      const library = calcPrice({ input_tokens: 5_000, output_tokens: 500 }, name, { providerId: table });
      const expected = library ? { costUsd: Math.round(library.total_price * 1e10) / 1e10, priceKnown: true } : { costUsd: null, priceKnown: false };
      for (let call = 0; call < 2; call++) expect([name, fresh.price(ours, name, 5_000, 500)]).toEqual([name, expected]);
    }
  });
});

