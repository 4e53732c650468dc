import { countTokens } from 'gpt-tokenizer';

/** Pieces the tokenizer sees at once: its BPE merge is quadratic in the length of one word. */
const PIECE_CHARS = 1_000;
/** Beyond this, counting costs more than it is worth: the UTF-8 length bounds the count. */
const MAX_COUNTED_CHARS = 200_000;

/**
 * Counts tokens with gpt-tokenizer (the o200k encoding used by current OpenAI models) when a
 * provider reports no usage, and for budget reservations. Text is counted in pieces, so one
 * pathological 200 KB "word" costs milliseconds instead of freezing the event loop; a cut can
 * only add tokens, never lose one, so the count stays an upper bound. Very long texts are
 * bounded by their UTF-8 length (a token is at least one byte).
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  if (text.length > MAX_COUNTED_CHARS) return Buffer.byteLength(text, 'utf8');
  let tokens = 0;
  for (let start = 0; start < text.length; start += PIECE_CHARS) tokens += countTokens(text.slice(start, start + PIECE_CHARS));
  return tokens;
}
