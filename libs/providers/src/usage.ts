/** Token usage normalised across providers. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** Reads OpenAI's `usage` object (chat, completions and embeddings all share it). */
export function fromOpenAIUsage(usage: unknown): TokenUsage | null {
  if (!usage || typeof usage !== 'object') return null;
  const record = usage as Record<string, unknown>;
  const prompt = record.prompt_tokens;
  if (typeof prompt !== 'number') return null;
  const completion = typeof record.completion_tokens === 'number' ? record.completion_tokens : 0;
  return { promptTokens: prompt, completionTokens: completion };
}
