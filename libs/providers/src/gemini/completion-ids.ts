import { randomBytes } from 'node:crypto';

/**
 * Ids and timestamp for one translated answer. Gemini sends no OpenAI-style ids, so the
 * adapter makes them; tests pass fixed ones to compare exact objects.
 */
export interface CompletionIds {
  /** Used when Gemini sends no responseId. */
  completionId: string;
  /** Unix seconds. */
  created: number;
  toolCallId(): string;
}

export function newCompletionIds(): CompletionIds {
  return {
    completionId: `chatcmpl-${randomBytes(12).toString('hex')}`,
    created: Math.floor(Date.now() / 1000),
    toolCallId: () => `call_${randomBytes(12).toString('hex')}`,
  };
}

/** Gemini's responseId when it sent one (it ties the answer to Google's logs), else ours. */
export function completionIdFor(responseId: string | undefined, ids: CompletionIds): string {
  return responseId ? `chatcmpl-${responseId}` : ids.completionId;
}
