import { CostCalculator, estimateTokens, promptTextOf, tokenIdCountOf } from '@tollgate/reporting';

/** Tokens OpenAI adds per message (role, separators) and per reply, plus a safety margin. */
const PER_MESSAGE_OVERHEAD = 4;
const PER_REQUEST_OVERHEAD = 16;
const PROMPT_MARGIN = 1.1;

/**
 * Request fields the model reads besides the messages' text: tool and function definitions,
 * output schemas, and the prompt fields of native APIs relayed as they are (Anthropic's
 * `system`, Gemini's `contents` and `systemInstruction`, the Responses API's `instructions`).
 */
const PROMPT_FIELDS = ['tools', 'functions', 'tool_choice', 'function_call', 'response_format', 'system', 'instructions', 'contents', 'systemInstruction', 'system_instruction'];
/** Message fields the model reads besides their content: earlier tool calls and their arguments. */
const MESSAGE_PROMPT_FIELDS = ['tool_calls', 'function_call', 'name', 'tool_call_id'];

export interface WorstCaseInput {
  provider: string;
  model: string;
  body: Record<string, unknown>;
  /** Whether the operation generates tokens (chat, completions) or only reads them (embeddings). */
  generates: boolean;
  /** Output tokens to assume when the request sets no max_tokens. */
  defaultMaxTokens: number;
}

/**
 * The most a request can cost, reserved against budgets before it is sent: the prompt counted
 * with the tokenizer (with a margin for the provider's own framing) at the input price, plus
 * max_tokens for every requested choice at the output price. The prompt includes what the
 * model reads besides the messages' text (tool definitions, earlier tool calls, response
 * schemas), counted from their JSON. Returns null for a model without a price, which a
 * budgeted key must not use.
 */
export function worstCaseCostUsd(calculator: CostCalculator, input: WorstCaseInput): number | null {
  const messages = Array.isArray(input.body.messages) ? input.body.messages.length : 1;
  const promptTokens =
    Math.ceil((estimateTokens(promptTextOf(input.body)) + estimateTokens(structuredPromptOf(input.body))) * PROMPT_MARGIN) +
    mediaTokens(input.body) +
    tokenIdCountOf(input.body) +
    PER_MESSAGE_OVERHEAD * messages +
    PER_REQUEST_OVERHEAD;
  const body = input.body;
  const generation = (body.generationConfig ?? body.generation_config ?? {}) as Record<string, unknown>;
  // Providers disagree on which limit wins when several are sent, so the largest one counts.
  const maxTokens =
    largestNumber(body.max_tokens, body.max_completion_tokens, body.max_output_tokens, body.max_tokens_to_sample, generation.maxOutputTokens, generation.max_output_tokens) ??
    input.defaultMaxTokens;
  const choices = firstNumber(body.n, generation.candidateCount, generation.candidate_count) ?? 1;
  // Legacy completions generate best_of candidates server-side (billed, n of them returned),
  // for each prompt of a list.
  const candidates = Math.max(1, choices, firstNumber(body.best_of) ?? 1);
  const completionTokens = input.generates ? maxTokens * candidates * promptCountOf(body) : 0;
  const { costUsd } = calculator.price(input.provider, input.model, promptTokens, completionTokens);
  return costUsd;
}

/** The JSON of the prompt's non-text parts ('' when there are none). */
function structuredPromptOf(body: Record<string, unknown>): string {
  const parts: unknown[] = PROMPT_FIELDS.filter((field) => body[field] !== undefined && body[field] !== null).map((field) => body[field]);
  // The Responses API's `input` may be a list of message items rather than strings (token ids,
  // numbers or lists of them, are counted apart).
  const items = Array.isArray(body.input) ? body.input.filter((item) => item !== null && typeof item === 'object' && !Array.isArray(item)) : [];
  if (items.length > 0) parts.push(items);
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      if (!message || typeof message !== 'object') continue;
      for (const field of MESSAGE_PROMPT_FIELDS) {
        const value = (message as Record<string, unknown>)[field];
        if (value !== undefined && value !== null) parts.push(value);
      }
    }
  }
  return parts.length === 0 ? '' : JSON.stringify(parts);
}

/** A bound on what an image costs in prompt tokens (OpenAI high detail and Anthropic both stay below it). */
const TOKENS_PER_IMAGE = 2_000;

/**
 * Prompt tokens of non-text content parts, which the text count misses: images at a fixed
 * bound, audio, files and documents by their encoded size (bytes bound tokens).
 */
function mediaTokens(body: Record<string, unknown>): number {
  let tokens = 0;
  const visit = (content: unknown) => {
    if (!Array.isArray(content)) return;
    for (const part of content) {
      if (!part || typeof part !== 'object') continue;
      const type = (part as { type?: unknown }).type;
      if (type === 'image_url' || type === 'image' || type === 'input_image') tokens += TOKENS_PER_IMAGE;
      else if (type === 'input_audio' || type === 'file' || type === 'document' || type === 'input_file') tokens += Buffer.byteLength(JSON.stringify(part), 'utf8');
      else if (type === 'tool_result') visit((part as { content?: unknown }).content);
    }
  };
  if (Array.isArray(body.messages)) for (const message of body.messages) visit((message as { content?: unknown } | null)?.content);
  return tokens;
}

/** How many prompts a legacy completions request holds: a list of texts or of token-id lists is several. */
function promptCountOf(body: Record<string, unknown>): number {
  const prompt = body.prompt;
  if (!Array.isArray(prompt) || prompt.length === 0) return 1;
  return prompt.every((item) => typeof item === 'number') ? 1 : prompt.length;
}

function largestNumber(...values: unknown[]): number | null {
  const numbers = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0);
  return numbers.length === 0 ? null : Math.max(...numbers);
}

function firstNumber(...values: unknown[]): number | null {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  return null;
}
