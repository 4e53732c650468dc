/**
 * Token usage normalised across providers: what adapters read from answers, what an event carries
 * to the worker, and what the worker prices.
 */
export interface TokenUsage {
  /** All prompt tokens, cached ones included. */
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens read from the provider's cache (priced lower). */
  cacheReadTokens?: number;
  /** Prompt tokens written to the provider's cache (Anthropic prices them higher). */
  cacheWriteTokens?: number;
  /**
   * Of cacheWriteTokens, those written to Anthropic's one-hour cache: twice the input price,
   * where the five-minute writes (the rest) cost 1.25 times it.
   */
  cacheWrite1hTokens?: number;
  /**
   * Of promptTokens and completionTokens, the audio tokens (OpenAI's audio models, audio sent
   * to Gemini): priced at the model's audio rates, many times its text rates.
   */
  inputAudioTokens?: number;
  outputAudioTokens?: number;
}
