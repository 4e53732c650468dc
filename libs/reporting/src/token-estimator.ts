import { countTokens } from 'gpt-tokenizer';

/**
 * Counts tokens with gpt-tokenizer (the o200k encoding used by current OpenAI models) when a
 * provider reports no usage. Events priced this way are marked as estimated.
 */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
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
  if (typeof record.prompt === 'string') parts.push(record.prompt);
  if (typeof record.input === 'string') parts.push(record.input);
  if (Array.isArray(record.input)) parts.push(...record.input.filter((i): i is string => typeof i === 'string'));
  return parts.join('\n');
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
