import { TokenUsage } from '@tollgate/common';

export { TokenUsage };

/**
 * Reads OpenAI's `usage` object: chat, completions and embeddings (`prompt_tokens`), and the
 * Responses, image, speech and transcription APIs (`input_tokens` / `output_tokens`).
 */
export function fromOpenAIUsage(usage: unknown): TokenUsage | null {
  if (!usage || typeof usage !== 'object') return null;
  const record = usage as Record<string, unknown>;
  const chatShape = typeof record.prompt_tokens === 'number';
  const prompt = chatShape ? record.prompt_tokens : record.input_tokens;
  if (typeof prompt !== 'number') return null;
  const completion = chatShape ? record.completion_tokens : record.output_tokens;
  // The transcription API names its details `input_token_details` (its audio share among them).
  const details = (chatShape ? record.prompt_tokens_details : (record.input_tokens_details ?? record.input_token_details)) as { cached_tokens?: unknown; audio_tokens?: unknown } | undefined;
  const outputDetails = (chatShape ? record.completion_tokens_details : record.output_tokens_details) as { audio_tokens?: unknown } | undefined;
  const cached = countOf(details?.cached_tokens);
  const inputAudio = countOf(details?.audio_tokens);
  const outputAudio = countOf(outputDetails?.audio_tokens);
  return {
    promptTokens: prompt,
    completionTokens: typeof completion === 'number' ? completion : 0,
    ...(cached > 0 ? { cacheReadTokens: cached } : {}),
    ...(inputAudio > 0 ? { inputAudioTokens: inputAudio } : {}),
    ...(outputAudio > 0 ? { outputAudioTokens: outputAudio } : {}),
  };
}

function countOf(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}
