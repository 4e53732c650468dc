import { jsonNumberValue } from '@tollgate/common';
import { AudioDirections, CostCalculator, mediaTokensOf, promptTextOf, structuredPromptOf, tokenIdCountOf, tokenUpperBound } from '@tollgate/reporting';

/** Tokens OpenAI adds per message (role, separators) and per reply, plus a safety margin. */
const PER_MESSAGE_OVERHEAD = 4;
const PER_REQUEST_OVERHEAD = 16;
const PROMPT_MARGIN = 1.1;

/**
 * The body fields worstCaseCostUsd reads for the output a request may generate (besides a
 * completions prompt list): one list, so a caller passing only these (a custom provider's body,
 * whose prompt is found elsewhere) cannot drift from what is read.
 */
export const OUTPUT_LIMIT_FIELDS = ['max_tokens', 'max_completion_tokens', 'max_output_tokens', 'max_tokens_to_sample', 'n', 'best_of', 'generationConfig', 'generation_config'] as const;

export interface WorstCaseInput {
  provider: string;
  model: string;
  body: Record<string, unknown>;
  /** Whether the operation generates tokens (chat, completions) or only reads them (embeddings). */
  generates: boolean;
  /** Output tokens to assume when the request sets no max_tokens. */
  defaultMaxTokens: number;
  /**
   * The request may write Anthropic's one-hour cache (twice the input price): a native Anthropic
   * request that asks for it (see asksForHourLongCache). A translated one cannot (its body is
   * rebuilt without cache_control), nor any other provider's.
   */
  hourLongCacheWrites?: boolean;
}

/**
 * The most a request can cost, reserved against budgets before it is sent: the prompt counted
 * with the tokenizer (with a margin for the provider's own framing) at the dearest of the input,
 * cache and audio prices, plus max_tokens for every requested choice at the output price (audio's
 * when the request asks for audio). The prompt includes what the
 * model reads besides the messages' text (tool definitions, earlier tool calls, response
 * schemas), counted from their JSON. Returns null for a model without a price, which a
 * budgeted key must not use.
 */
export function worstCaseCostUsd(calculator: CostCalculator, input: WorstCaseInput): number | null {
  const messages = Array.isArray(input.body.messages) ? input.body.messages.length : 1;
  const mediaTokens = mediaTokensOf(input.body);
  const promptTokens =
    Math.ceil((tokenUpperBound(promptTextOf(input.body)) + tokenUpperBound(structuredPromptOf(input.body))) * PROMPT_MARGIN) +
    mediaTokens +
    tokenIdCountOf(input.body) +
    PER_MESSAGE_OVERHEAD * messages +
    PER_REQUEST_OVERHEAD;
  const body = input.body;
  const generation = (body.generationConfig ?? body.generation_config ?? {}) as Record<string, unknown>;
  // Providers disagree on which limit wins when several are sent, so the largest one counts. A
  // limit of 0 reserves the default: Gemini reads maxOutputTokens 0 as unset (a proto3 zero) and
  // generates up to the model's own cap, and where 0 truly means no output the reservation is
  // released when the request settles.
  const maxTokens =
    largestNumber(body.max_tokens, body.max_completion_tokens, body.max_output_tokens, body.max_tokens_to_sample, generation.maxOutputTokens, generation.max_output_tokens) ||
    input.defaultMaxTokens;
  const choices = firstNumber(body.n, generation.candidateCount, generation.candidate_count) ?? 1;
  // Legacy completions generate best_of candidates server-side (billed, n of them returned),
  // for each prompt of a list.
  const candidates = Math.max(1, choices, firstNumber(body.best_of) ?? 1);
  const completionTokens = input.generates ? maxTokens * candidates * promptCountOf(body) : 0;
  const plain = calculator.price(input.provider, input.model, promptTokens, completionTokens).costUsd;
  if (plain === null) return null;
  // The prompt may be billed at a cache rate dearer than input (Anthropic writes cost 1.25x; an
  // admin's price may set any rate): the dearest reading of it is reserved.
  const asCacheWrites = calculator.price(input.provider, input.model, promptTokens, completionTokens, { writeTokens: promptTokens }).costUsd ?? 0;
  const asCacheReads = calculator.price(input.provider, input.model, promptTokens, completionTokens, { readTokens: promptTokens }).costUsd ?? 0;
  // Anthropic's one-hour cache writes cost twice the input price; only a request asking for one
  // can make them.
  const asHourWrites = input.hourLongCacheWrites
    ? (calculator.price(input.provider, input.model, promptTokens, completionTokens, { writeTokens: promptTokens, write1hTokens: promptTokens }).costUsd ?? 0)
    : 0;
  // Audio costs several times text (gpt-audio: $32 against $2.50 per million prompt tokens, $64
  // against $10 out): the media the body sends may all be audio, and the whole output may be when
  // the body asks for audio.
  const audio = audioOf(body);
  const audioOut = audio.output ? completionTokens : 0;
  // Only a body that sends audio has media that may be audio: images priced so reserved three times their worst case.
  const audioIn = audio.input ? mediaTokens : 0;
  const asAudio =
    audioIn > 0 || audioOut > 0
      ? (calculator.price(input.provider, input.model, promptTokens, completionTokens, { inputAudioTokens: audioIn, outputAudioTokens: audioOut }).costUsd ?? 0)
      : 0;
  return Math.max(plain, asCacheWrites, asCacheReads, asHourWrites, asAudio);
}

/**
 * The audio a chat body sends (`input_audio` parts) and asks for (OpenAI's `modalities` or
 * `audio`, Gemini's `responseModalities`): billed at audio rates, several times text's.
 */
export function audioOf(body: Record<string, unknown>): AudioDirections {
  const generation = (body.generationConfig ?? body.generation_config ?? {}) as Record<string, unknown>;
  const output =
    (body.audio !== undefined && body.audio !== null) ||
    [body.modalities, generation.responseModalities, generation.response_modalities].some(
      (modalities) => Array.isArray(modalities) && modalities.some((modality) => typeof modality === 'string' && modality.toLowerCase() === 'audio'),
    );
  const input =
    Array.isArray(body.messages) &&
    body.messages.some((message) => {
      const content = (message as { content?: unknown } | null)?.content;
      return Array.isArray(content) && content.some((part) => (part as { type?: unknown } | null)?.type === 'input_audio');
    });
  return { input, output };
}

/** Nodes of a body looked at for a one-hour cache_control before it is assumed to hold one. */
const MAX_CACHE_CONTROL_SCAN_NODES = 100_000;

/**
 * Whether a body asks Anthropic for a one-hour cache (`cache_control: {ttl: "1h"}` on a block, a
 * tool or the request). A body too large to look through is assumed to.
 */
export function asksForHourLongCache(body: unknown): boolean {
  const pending: unknown[] = [body];
  for (let seen = 0; pending.length > 0; seen++) {
    if (seen >= MAX_CACHE_CONTROL_SCAN_NODES) return true;
    const node = pending.pop();
    if (node === null || typeof node !== 'object') continue;
    const record = node as Record<string, unknown>;
    const control = Array.isArray(node) ? undefined : record.cache_control;
    if (control !== null && typeof control === 'object' && (control as { ttl?: unknown }).ttl === '1h') return true;
    for (const value of Array.isArray(node) ? node : Object.values(record)) {
      if (value === null || typeof value !== 'object') continue;
      if (seen + pending.length >= MAX_CACHE_CONTROL_SCAN_NODES) return true;
      pending.push(value);
    }
  }
  return false;
}

/** How many prompts a legacy completions request holds: a list of texts or of token-id lists is several. */
function promptCountOf(body: Record<string, unknown>): number {
  const prompt = body.prompt;
  if (!Array.isArray(prompt) || prompt.length === 0) return 1;
  return prompt.every((item) => typeof item === 'number') ? 1 : prompt.length;
}

/** A body's count field (max_tokens, n), bounded to what arithmetic on it keeps exact enough. */
function countOf(value: unknown): number | null {
  const number = typeof value === 'string' ? numericText(value) : jsonNumberValue(value);
  return number === null || number < 0 ? null : Math.min(number, Number.MAX_SAFE_INTEGER);
}

/**
 * A count sent as text ("1000000"): lenient servers (vLLM's pydantic models, many custom APIs)
 * read it as the number, so a budget reserves for it as one. The relayed paths pass bodies on
 * untouched; reading it as "not set" reserved the 4,096-token default for a million tokens.
 */
function numericText(text: string): number | null {
  if (text.trim() === '') return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : null;
}

function largestNumber(...values: unknown[]): number | null {
  const numbers = values.map(countOf).filter((value): value is number => value !== null);
  return numbers.length === 0 ? null : Math.max(...numbers);
}

function firstNumber(...values: unknown[]): number | null {
  for (const value of values) {
    const count = countOf(value);
    if (count !== null) return count;
  }
  return null;
}
