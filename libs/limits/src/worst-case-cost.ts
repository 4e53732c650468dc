import { CostCalculator, estimateTokens, promptTextOf } from '@tollgate/reporting';

/** Tokens OpenAI adds per message (role, separators) and per reply, plus a safety margin. */
const PER_MESSAGE_OVERHEAD = 4;
const PER_REQUEST_OVERHEAD = 16;
const PROMPT_MARGIN = 1.1;

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
 * max_tokens for every requested choice at the output price. Returns null for a model without
 * a price, which a budgeted key must not use.
 */
export function worstCaseCostUsd(calculator: CostCalculator, input: WorstCaseInput): number | null {
  const messages = Array.isArray(input.body.messages) ? input.body.messages.length : 1;
  const promptTokens = Math.ceil(estimateTokens(promptTextOf(input.body)) * PROMPT_MARGIN) + PER_MESSAGE_OVERHEAD * messages + PER_REQUEST_OVERHEAD;
  const maxTokens = firstNumber(input.body.max_tokens, input.body.max_completion_tokens) ?? input.defaultMaxTokens;
  const choices = firstNumber(input.body.n) ?? 1;
  const completionTokens = input.generates ? maxTokens * Math.max(1, choices) : 0;
  const { costUsd } = calculator.price(input.provider, input.model, promptTokens, completionTokens);
  return costUsd;
}

function firstNumber(...values: unknown[]): number | null {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  return null;
}
