import { countTokens } from 'gpt-tokenizer';

/** Pieces the tokenizer sees at once: its BPE merge is quadratic in the length of one word. */
const PIECE_CHARS = 1_000;
/**
 * On the request path (admission), counting stops here: a million characters take the tokenizer
 * tens of milliseconds, during which the gateway serves nobody, so the UTF-8 length, which a
 * token count never exceeds, stands in beyond it.
 */
const MAX_COUNTED_CHARS_ON_REQUEST_PATH = 200_000;

/**
 * Counts tokens with gpt-tokenizer (the o200k encoding used by current OpenAI models) when a
 * provider reports no usage: what the worker records and bills. Text is counted in pieces, so
 * one pathological 200 KB "word" costs milliseconds instead of freezing the process; a cut can
 * only add tokens, never lose one, so the count stays an upper bound.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  for (let start = 0; start < text.length; start += PIECE_CHARS) tokens += countTokens(text.slice(start, start + PIECE_CHARS));
  return tokens;
}

/**
 * An upper bound of the token count for a budget reservation, on the request path: counted
 * like estimateTokens up to MAX_COUNTED_CHARS_ON_REQUEST_PATH, bounded by the UTF-8 length
 * beyond. Never what is billed: it may be several times the real count.
 */
export function tokenUpperBound(text: string): number {
  return text.length > MAX_COUNTED_CHARS_ON_REQUEST_PATH ? Buffer.byteLength(text, 'utf8') : estimateTokens(text);
}
