import { Provider, calcPrice } from '@pydantic/genai-prices';

export interface PriceOverride {
  inputUsdPerMillionTokens: number;
  outputUsdPerMillionTokens: number;
  /** Cached prompt tokens (read, written); absent or null: the input price. */
  cacheReadUsdPerMillionTokens?: number | null;
  cacheWriteUsdPerMillionTokens?: number | null;
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
const PRICE_TABLE_PROVIDER = new Map([
  ['openai', 'openai'],
  ['azure', 'azure'],
  ['anthropic', 'anthropic'],
  ['gemini', 'google'],
  ['deepinfra', 'deepinfra'],
]);

/**
 * Prices token usage with the maintained @pydantic/genai-prices table (bundled data, pinned
 * with the package; no network), unless an admin override exists for the model.
 */
export class CostCalculator {
  /**
   * Per (provider, model): the price table's provider narrowed to the one model that matched,
   * or null when none did. Matching walks the provider's whole model list (about a hundred entries,
   * regular expressions among them) on every call, the dearest part of pricing an event; with a
   * one-model provider, calcPrice still does the rest itself (dated and tiered prices, cached
   * tokens), so every result is the library's own.
   */
  private readonly matched = new Map<string, Provider | null>();

  constructor(private readonly overrides: (provider: string, model: string) => PriceOverride | undefined) {}

  /**
   * `cache`: the prompt tokens read from / written to the provider's cache (part of promptTokens),
   * and of the writes, those to Anthropic's one-hour cache (see HOUR_CACHE_WRITE_INPUT_MULTIPLE);
   * the audio tokens of the prompt and of the completion (part of their counts).
   */
  price(provider: string, model: string, promptTokens: number, completionTokens: number, cache: TokenDetails = {}): CostResult {
    const override = this.overrides(provider, model);
    if (override) return { costUsd: roundUsd(Math.max(0, overrideCost(override, promptTokens, completionTokens, cache))), priceKnown: true };
    // A Map, not an object: a custom provider may be called "constructor".
    const tableProvider = PRICE_TABLE_PROVIDER.get(provider);
    const matched = model && tableProvider ? this.matchedProvider(tableProvider, model) : null;
    if (!matched) return { costUsd: null, priceKnown: false };
    // The table prices one-hour writes itself (cache_write_1h_mtok, a share of the writes), with
    // its long-context tiers.
    const hourWrites = hourWritesOf(cache);
    let result: ReturnType<typeof calcPrice>;
    try {
      result = calcPrice(
        {
          input_tokens: promptTokens,
          output_tokens: completionTokens,
          cache_read_tokens: cache.readTokens,
          cache_write_tokens: cache.writeTokens,
          ...(hourWrites > 0 ? { cache_write_1h_tokens: hourWrites } : {}),
          // Audio costs several times text (gpt-audio: $32 against $2.50 per million prompt
          // tokens); the table prices the audio share at its audio rates (text rates without one).
          input_audio_tokens: cache.inputAudioTokens,
          output_audio_tokens: cache.outputAudioTokens,
          // With both cached and audio prompt tokens the table asks which of the cached are audio,
          // and refuses the count without it (the event went unpriced). Providers do not say: the
          // cached ones count as text, the audio at the full audio rate, the dearer reading.
          ...((cache.readTokens ?? 0) > 0 && (cache.inputAudioTokens ?? 0) > 0 ? { cache_audio_read_tokens: 0 } : {}),
        },
        model,
        { provider: matched },
      );
    } catch {
      // The library refuses counts it finds inconsistent: an unknown cost, not an event that
      // cannot be recorded.
      return { costUsd: null, priceKnown: false };
    }
    if (!result) return { costUsd: null, priceKnown: false };
    return { costUsd: roundUsd(result.total_price), priceKnown: true };
  }

  /**
   * Whether the audio a request sends or asks for is priced at a rate of its own. An admin's price
   * is the model's whole price; the table prices audio as text where it has no audio rate for the
   * model (gpt-4o-audio-preview has none: $2.50 where OpenAI bills $40 per million), which a cost
   * limit cannot rely on.
   */
  pricesAudio(provider: string, model: string, audio: AudioDirections): boolean {
    if (this.overrides(provider, model)) return true;
    const text = this.price(provider, model, AUDIO_PROBE_TOKENS, AUDIO_PROBE_TOKENS).costUsd;
    const ownRate = (details: TokenDetails) => {
      const cost = this.price(provider, model, AUDIO_PROBE_TOKENS, AUDIO_PROBE_TOKENS, details).costUsd;
      return text !== null && cost !== null && cost !== text;
    };
    return (!audio.input || ownRate({ inputAudioTokens: AUDIO_PROBE_TOKENS })) && (!audio.output || ownRate({ outputAudioTokens: AUDIO_PROBE_TOKENS }));
  }

  private matchedProvider(tableProvider: string, model: string): Provider | null {
    // The library matches the lowercased, trimmed name: so does the cache.
    const key = `${tableProvider}\u0000${model.toLowerCase().trim()}`;
    const known = this.matched.get(key);
    if (known !== undefined) return known;
    const probe = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId: tableProvider });
    // The model may have matched through a fallback provider's list: it is the only one now.
    const matched = probe ? { ...probe.provider, models: [probe.model], fallback_model_providers: undefined } : null;
    // Model names are the client's (at admission, straight from the body): bounded in number and
    // in length, like every cache of client input. A longer name is matched again every time.
    if (key.length <= MAX_CACHED_NAME_CHARS) {
      if (this.matched.size >= MAX_MATCHED_MODELS) this.matched.clear();
      this.matched.set(key, matched);
    }
    return matched;
  }
}

/** Whether a request has audio in its prompt, and whether it asks for audio out. */
export interface AudioDirections {
  input: boolean;
  output: boolean;
}

/** A million tokens: rates are per million, so any difference between two shows. */
const AUDIO_PROBE_TOKENS = 1_000_000;

/** The parts of the prompt and completion counts priced at rates of their own. */
export interface TokenDetails {
  readTokens?: number;
  writeTokens?: number;
  /** Of writeTokens, those written to Anthropic's one-hour cache. */
  write1hTokens?: number;
  /** Of the prompt and of the completion, the audio tokens (an admin's price has no audio rate: text's applies). */
  inputAudioTokens?: number;
  outputAudioTokens?: number;
}

/**
 * Anthropic's one-hour cache writes cost this many times the input price (five-minute ones 1.25):
 * the rate of an admin's price, which names one write rate (the table has both).
 */
const HOUR_CACHE_WRITE_INPUT_MULTIPLE = 2;

/** The one-hour writes, never more than the writes they are part of. */
function hourWritesOf(cache: TokenDetails): number {
  return Math.max(0, Math.min(cache.write1hTokens ?? 0, cache.writeTokens ?? 0));
}

const MAX_MATCHED_MODELS = 10_000;
const MAX_CACHED_NAME_CHARS = 256;

/** Ten decimal places, the precision of the cost columns. */
function roundUsd(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}

/**
 * An admin's price: cached prompt tokens at the cache rates it names (the input price where it
 * names none; one-hour writes at twice the input price, as Anthropic bills them), the rest of the
 * prompt at the input price, the output at the output price. The result is never below 0 (a
 * refund), whatever counts it is given.
 */
function overrideCost(override: PriceOverride, promptTokens: number, completionTokens: number, cache: TokenDetails): number {
  const read = Math.max(0, cache.readTokens ?? 0);
  const written = Math.max(0, cache.writeTokens ?? 0);
  const hourWrites = hourWritesOf(cache);
  const uncached = Math.max(0, promptTokens - read - written);
  const input = override.inputUsdPerMillionTokens;
  const perMillion =
    uncached * input +
    read * (override.cacheReadUsdPerMillionTokens ?? input) +
    (written - hourWrites) * (override.cacheWriteUsdPerMillionTokens ?? input) +
    hourWrites * HOUR_CACHE_WRITE_INPUT_MULTIPLE * input +
    completionTokens * override.outputUsdPerMillionTokens;
  return perMillion / 1_000_000;
}
