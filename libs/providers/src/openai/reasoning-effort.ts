import { GatewayError, GatewayErrorCode } from '@tollgate/common';

/** OpenAI's reasoning_effort values, lowest first. */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/**
 * The request's reasoning_effort, or null when it sets none. Any other value is the client's
 * error, as it is on OpenAI's own API.
 */
export function reasoningEffortOf(body: Record<string, unknown>): ReasoningEffort | null {
  const effort = body.reasoning_effort;
  if (effort === undefined || effort === null) return null;
  if (typeof effort !== 'string' || !(REASONING_EFFORTS as readonly string[]).includes(effort)) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, `reasoning_effort must be one of ${REASONING_EFFORTS.join(', ')}`, 'reasoning_effort');
  }
  return effort as ReasoningEffort;
}

/** Efforts that ask for reasoning at all ("none" and "minimal" ask for none worth a budget). */
export const THINKING_EFFORTS = ['low', 'medium', 'high'] as const;
export type ThinkingEffort = (typeof THINKING_EFFORTS)[number];

/** Whether a reasoning_effort asks for reasoning; never throws (an invalid value is reasoningEffortOf's to refuse). */
export function isThinkingEffort(effort: unknown): effort is ThinkingEffort {
  return (THINKING_EFFORTS as readonly unknown[]).includes(effort);
}
