import { calcPrice } from '@pydantic/genai-prices';

export interface PriceOverride {
  inputUsdPerMillionTokens: number;
  outputUsdPerMillionTokens: number;
}

export interface CostResult {
  /** null when the model has no known price: flagged, never counted as free. */
  costUsd: number | null;
  priceKnown: boolean;
}

/**
 * Our provider ids to the price table's. Providers missing here (vLLM, custom providers) run
 * models someone hosts themselves: a vLLM model named "gpt-4o-mini" must not get OpenAI's list
 * price, so only an admin override prices them.
 */
const PRICE_TABLE_PROVIDER: Record<string, string> = {
  openai: 'openai',
  azure: 'azure',
  anthropic: 'anthropic',
  gemini: 'google',
  deepinfra: 'deepinfra',
};

/**
 * Prices token usage with the maintained @pydantic/genai-prices table (bundled data, pinned
 * with the package; no network), unless an admin override exists for the model.
 */
export class CostCalculator {
  constructor(private readonly overrides: (provider: string, model: string) => PriceOverride | undefined) {}

  /** `cache`: the prompt tokens read from / written to the provider's cache (part of promptTokens). */
  price(provider: string, model: string, promptTokens: number, completionTokens: number, cache: { readTokens?: number; writeTokens?: number } = {}): CostResult {
    const override = this.overrides(provider, model);
    if (override) {
      const cost =
        (promptTokens * override.inputUsdPerMillionTokens + completionTokens * override.outputUsdPerMillionTokens) / 1_000_000;
      return { costUsd: roundUsd(cost), priceKnown: true };
    }
    const tableProvider = PRICE_TABLE_PROVIDER[provider];
    if (!model || !tableProvider) return { costUsd: null, priceKnown: false };
    const result = calcPrice(
      { input_tokens: promptTokens, output_tokens: completionTokens, cache_read_tokens: cache.readTokens, cache_write_tokens: cache.writeTokens },
      model,
      { providerId: tableProvider },
    );
    if (!result) return { costUsd: null, priceKnown: false };
    return { costUsd: roundUsd(result.total_price), priceKnown: true };
  }
}

/** Ten decimal places, the precision of the cost columns. */
function roundUsd(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}
