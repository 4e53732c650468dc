import { ChatCall } from '../provider-adapter';
import { TokenUsage } from '../usage';
import { GeminiPart, GeminiUsageMetadata } from './gemini.types';
import { OpenAIFinishReason, OpenAIToolCall, OpenAIUsage } from '../openai/openai-chat.types';

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/**
 * Gemini finishReason → OpenAI finish_reason. Gemini says STOP after function calls, where
 * OpenAI clients expect tool_calls. A function call Gemini failed to form is said so
 * ("malformed_function_call"): an agent must not read its empty answer as a normal stop. Other
 * reasons with no OpenAI equivalent (OTHER, LANGUAGE, ...) end the answer: "stop".
 */
export function toOpenAIFinishReason(reason: string, hasToolCalls: boolean): OpenAIFinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  if (reason === 'MALFORMED_FUNCTION_CALL') return 'malformed_function_call';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

/** The answer's text; thought summaries are reasoning, not content. */
export function textOf(parts: GeminiPart[]): string {
  return parts
    .filter((part) => typeof part.text === 'string' && part.thought !== true)
    .map((part) => part.text)
    .join('');
}

/**
 * Gemini 3 attaches a thoughtSignature to function calls and rejects the next turn if it is
 * not sent back. OpenAI clients only echo the tool call id, so the signature rides in it.
 */
const SIGNATURE_SEPARATOR = '__thought__';

export function toOpenAIToolCalls(parts: GeminiPart[], newId: () => string): OpenAIToolCall[] {
  return parts
    .filter((part) => part.functionCall)
    .map((part) => {
      const id = part.functionCall!.id ?? newId();
      return {
        id: part.thoughtSignature ? `${id}${SIGNATURE_SEPARATOR}${part.thoughtSignature}` : id,
        type: 'function' as const,
        function: { name: part.functionCall!.name, arguments: JSON.stringify(part.functionCall!.args ?? {}) },
      };
    });
}

/**
 * Gemini has no switch for parallel function calls: with parallel_tool_calls false the client
 * asked for at most one call per answer, so only the first is kept (`alreadySent`: calls of
 * this choice already streamed).
 */
export function withinToolCallLimit(calls: OpenAIToolCall[], call: ChatCall, alreadySent: number): OpenAIToolCall[] {
  return call.body.parallel_tool_calls === false ? calls.slice(0, Math.max(0, 1 - alreadySent)) : calls;
}

export function thoughtSignatureOf(toolCallId: string): string | null {
  const at = toolCallId.indexOf(SIGNATURE_SEPARATOR);
  return at === -1 ? null : toolCallId.slice(at + SIGNATURE_SEPARATOR.length) || null;
}

/** Thinking tokens are billed as output, so they count as completion tokens. */
export function toOpenAIUsage(metadata: GeminiUsageMetadata | undefined): OpenAIUsage | null {
  if (!metadata || typeof metadata.promptTokenCount !== 'number') return null;
  const prompt = metadata.promptTokenCount;
  const thoughts = metadata.thoughtsTokenCount ?? 0;
  const completion = (metadata.candidatesTokenCount ?? 0) + thoughts;
  const audio = audioTokensOf(metadata.promptTokensDetails);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: metadata.totalTokenCount ?? prompt + completion,
    // Where OpenAI reports a prompt's audio tokens; absent when there were none, as before.
    prompt_tokens_details: { cached_tokens: metadata.cachedContentTokenCount ?? 0, ...(audio > 0 ? { audio_tokens: audio } : {}) },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

/** The AUDIO modality's count among Gemini's per-modality details. */
function audioTokensOf(details: GeminiUsageMetadata['promptTokensDetails']): number {
  if (!Array.isArray(details)) return 0;
  return details.reduce((sum, detail) => sum + (detail?.modality === 'AUDIO' && typeof detail.tokenCount === 'number' ? detail.tokenCount : 0), 0);
}

export function toTokenUsage(usage: OpenAIUsage | null): TokenUsage | null {
  if (!usage) return null;
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const audio = usage.prompt_tokens_details?.audio_tokens ?? 0;
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    ...(cached > 0 ? { cacheReadTokens: cached } : {}),
    ...(audio > 0 ? { inputAudioTokens: audio } : {}),
  };
}

/** What the gateway counts when usage is missing: the text plus the tool call arguments. */
export function generatedText(text: string, toolCalls: OpenAIToolCall[]): string {
  return [text, ...toolCalls.map((call) => `${call.function.name}${call.function.arguments}`)].join('');
}
