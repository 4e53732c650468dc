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

/** The text of a chat or completion request that the model reads as its prompt. */
export function promptTextOf(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const record = body as Record<string, unknown>;
  const parts: string[] = [];
  if (Array.isArray(record.messages)) {
    for (const message of record.messages as Array<Record<string, unknown>>) {
      parts.push(contentText(message?.content));
    }
  }
  // Legacy completions take one prompt or a list; embeddings one input or a list. (Pushed one
  // by one: spreading a list of a million strings overflows the call stack.)
  for (const field of [record.prompt, record.input]) {
    if (typeof field === 'string') parts.push(field);
    else if (Array.isArray(field)) for (const item of field) if (typeof item === 'string') parts.push(item);
  }
  return parts.join('\n');
}

/**
 * Tokens given as ids rather than text: a legacy completions `prompt` or an embeddings `input`
 * may be a list of token ids, or a list of such lists.
 */
export function tokenIdCountOf(body: unknown): number {
  if (!body || typeof body !== 'object') return 0;
  const record = body as Record<string, unknown>;
  let count = 0;
  for (const field of [record.prompt, record.input]) {
    if (!Array.isArray(field)) continue;
    for (const item of field) {
      if (typeof item === 'number') count += 1;
      else if (Array.isArray(item)) count += item.length;
    }
  }
  return count;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
      .join('');
  }
  return '';
}
