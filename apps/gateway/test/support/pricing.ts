/**
 * gpt-4o-mini prices in nano-USD per token ($0.15 and $0.60 per million), and what the limits
 * code reserves and settles for the fake upstream's answers.
 */
export const INPUT_NANO = 150;
export const OUTPUT_NANO = 600;

/** What one fake chat completion costs: 12 prompt + 5 completion tokens. */
export const ACTUAL_NANO = 12 * INPUT_NANO + 5 * OUTPUT_NANO;

/** The prompt part of the worst case for one `Hi` message: ceil(1 token × 1.1) + 4 per message + 16 per request. */
export const PROMPT_RESERVED_NANO = 22 * INPUT_NANO;

/** What admission reserves for `Hi` with this max_tokens. */
export function reservedNano(maxTokens: number): number {
  return PROMPT_RESERVED_NANO + maxTokens * OUTPUT_NANO;
}

/** The smallest max_tokens whose worst case exceeds `nano`. */
export function maxTokensAbove(nano: number): number {
  return Math.floor((nano - PROMPT_RESERVED_NANO) / OUTPUT_NANO) + 1;
}

/** The largest max_tokens whose worst case fits in `nano`. */
export function maxTokensWithin(nano: number): number {
  return Math.floor((nano - PROMPT_RESERVED_NANO) / OUTPUT_NANO);
}
