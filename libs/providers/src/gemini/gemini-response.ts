import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ChatCall, TranslatedResponse } from '../provider-adapter';
import { CompletionIds, completionIdFor, newCompletionIds } from './completion-ids';
import { generatedText, textOf, toOpenAIFinishReason, toOpenAIToolCalls, toOpenAIUsage, toTokenUsage, withinToolCallLimit } from './gemini-candidate';
import { GeminiGenerateContentResponse } from './gemini.types';
import { OpenAIChatCompletion, toOpenAIAssistantMessage } from '../openai/openai-chat.types';
import { modelNameOf } from '../model-name';

/**
 * A generateContent answer → an OpenAI `chat.completion`, one choice per candidate. A prompt
 * Gemini blocked has no candidates; it becomes one empty choice with finish_reason
 * content_filter, as OpenAI clients expect at least one choice.
 */
export function fromGeminiResponse(raw: Buffer, call: ChatCall, ids: CompletionIds = newCompletionIds()): TranslatedResponse {
  const response = parseResponse(raw);
  const texts: string[] = [];
  const candidates = response.candidates ?? [];
  const choices: OpenAIChatCompletion['choices'] = candidates.map((candidate, position) => {
    const parts = candidate.content?.parts ?? [];
    const text = textOf(parts);
    const toolCalls = withinToolCallLimit(toOpenAIToolCalls(parts, () => ids.toolCallId()), call, 0);
    texts.push(generatedText(text, toolCalls));
    return {
      index: candidate.index ?? position,
      message: toOpenAIAssistantMessage(text, toolCalls),
      logprobs: null,
      finish_reason: toOpenAIFinishReason(candidate.finishReason ?? 'STOP', toolCalls.length > 0),
    };
  });
  if (choices.length === 0) {
    const finish = response.promptFeedback?.blockReason ? 'content_filter' : 'stop';
    choices.push({ index: 0, message: toOpenAIAssistantMessage('', []), logprobs: null, finish_reason: finish });
  }

  const usage = toOpenAIUsage(response.usageMetadata);
  const body: OpenAIChatCompletion = {
    id: completionIdFor(response.responseId, ids),
    object: 'chat.completion',
    created: ids.created,
    model: modelNameOf(response.modelVersion) ?? call.model,
    choices,
    ...(usage ? { usage } : {}),
  };
  return { body, usage: toTokenUsage(usage), model: modelNameOf(response.modelVersion), completionText: texts.join('') };
}

function parseResponse(raw: Buffer): GeminiGenerateContentResponse {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as GeminiGenerateContentResponse;
  } catch {
    // reported below
  }
  throw new GatewayError(GatewayErrorCode.UpstreamUnreachable, 'Gemini returned a response that is not a JSON object');
}
