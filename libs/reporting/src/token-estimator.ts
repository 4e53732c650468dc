import { countTokens } from 'gpt-tokenizer';

/** Pieces the tokenizer sees at once: its BPE merge is quadratic in the length of one word. */
const PIECE_CHARS = 1_000;
/**
 * On the request path (admission), counting stops here: a million characters take the tokenizer
 * tens of milliseconds (text that is not prose, such as base64, about a second), during which the
 * gateway serves nobody, so the UTF-8 length, which a token count never exceeds, stands in.
 */
const MAX_COUNTED_CHARS_ON_REQUEST_PATH = 200_000;
/**
 * What is recorded counts this much, and bounds the rest by its UTF-8 length: counting all of a
 * 32 MB prompt would hold the worker (or a standalone gateway) for minutes, past its job locks
 * (a million characters of CJK text take the tokenizer about 7 s, of prose 30 ms).
 */
const MAX_COUNTED_CHARS = 250_000;

/**
 * Counts tokens with gpt-tokenizer (the o200k encoding used by current OpenAI models) when a
 * provider reports no usage: what the worker records and bills. Text is counted in pieces, so
 * one pathological 200 KB "word" costs milliseconds instead of freezing the process; a cut can
 * only add tokens, never lose one, so the count is an upper bound. Past MAX_COUNTED_CHARS the
 * rest is bounded by its bytes (a token is at least one): never less than the real count, which
 * the rate of the counted part is not (a prompt may put its cheap text first).
 */
export function estimateTokens(text: string): number {
  const counted = Math.min(text.length, MAX_COUNTED_CHARS);
  let tokens = 0;
  for (let start = 0; start < counted; start += PIECE_CHARS) tokens += countTokens(text.slice(start, Math.min(counted, start + PIECE_CHARS)));
  return counted === text.length ? tokens : tokens + Buffer.byteLength(text.slice(counted), 'utf8');
}

/**
 * What estimateTokens reads of a text, for the event that carries it to the worker: the part it
 * counts, and the bound of the rest (its UTF-8 length), so that
 * estimateTokens(part.text) + part.uncountedTokens === estimateTokens(text). A 3 MB prompt then
 * puts 250,000 characters in Redis (and in a gateway's buffer while Redis is away), not 3 MB.
 */
export function countedPartOf(text: string): { text: string; uncountedTokens: number } {
  if (text.length <= MAX_COUNTED_CHARS) return { text, uncountedTokens: 0 };
  return { text: text.slice(0, MAX_COUNTED_CHARS), uncountedTokens: Buffer.byteLength(text.slice(MAX_COUNTED_CHARS), 'utf8') };
}

/**
 * An upper bound of the token count for a budget reservation, on the request path: counted
 * like estimateTokens up to MAX_COUNTED_CHARS_ON_REQUEST_PATH, bounded by the UTF-8 length
 * beyond. Never what is billed: it may be several times the real count.
 */
export function tokenUpperBound(text: string): number {
  return text.length > MAX_COUNTED_CHARS_ON_REQUEST_PATH ? Buffer.byteLength(text, 'utf8') : estimateTokens(text);
}
