import { TokenUsage } from '../usage';
import { AnthropicStopReason, AnthropicUsage } from './anthropic.types';
import { OpenAIFinishReason, OpenAIUsage } from '../openai/openai-chat.types';

/** Mappings shared by the response and the stream translators, so both always agree. */

const FINISH_REASONS: Record<AnthropicStopReason, OpenAIFinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  // A server-tool loop paused by Anthropic: the turn is over as far as the client can tell.
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function toOpenAIFinishReason(reason: string | null | undefined): OpenAIFinishReason | null {
  if (reason === null || reason === undefined) return null;
  // Stop reasons Anthropic adds later still end the turn.
  return FINISH_REASONS[reason as AnthropicStopReason] ?? 'stop';
}

/**
 * Anthropic counts cached prompt tokens apart from `input_tokens`; OpenAI's `prompt_tokens`
 * includes them, so all three are summed (cache reads are also reported as cached_tokens).
 */
export function fromAnthropicUsage(usage: Partial<AnthropicUsage>): TokenUsage {
  const hourLong = usage.cache_creation?.ephemeral_1h_input_tokens;
  return {
    promptTokens: (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
    completionTokens: usage.output_tokens ?? 0,
    ...(usage.cache_read_input_tokens ? { cacheReadTokens: usage.cache_read_input_tokens } : {}),
    ...(usage.cache_creation_input_tokens ? { cacheWriteTokens: usage.cache_creation_input_tokens } : {}),
    ...(typeof hourLong === 'number' && hourLong > 0 ? { cacheWrite1hTokens: hourLong } : {}),
  };
}

/**
 * Drops absent and null counts, so a partial message_delta never erases a known count; the
 * cache_creation breakdown is kept when it holds counts.
 */
export function definedCounts(usage: Partial<AnthropicUsage> | undefined): Partial<AnthropicUsage> {
  const counts: Partial<AnthropicUsage> = Object.fromEntries(Object.entries(usage ?? {}).filter(([, value]) => typeof value === 'number'));
  const breakdown = usage?.cache_creation;
  if (breakdown && typeof breakdown === 'object' && Object.values(breakdown).some((value) => typeof value === 'number')) counts.cache_creation = breakdown;
  return counts;
}

export function toOpenAIUsageBody(usage: TokenUsage, cachedTokens: number): OpenAIUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
    // Anthropic counts thinking within output_tokens without a separate figure.
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}
