import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ChatCall, TranslatedResponse } from '../provider-adapter';
import { fromAnthropicUsage, toOpenAIFinishReason, toOpenAIUsageBody } from './anthropic-mapping';
import { JSON_RESPONSE_TOOL, jsonResponseToolOf } from './anthropic-request';
import { AnthropicMessageResponse } from './anthropic.types';
import { OpenAIChatCompletion, OpenAIToolCall, toOpenAIAssistantMessage } from '../openai/openai-chat.types';

/**
 * Anthropic Message → OpenAI `chat.completion`. Text blocks join into `content`, tool_use
 * blocks become `tool_calls`; thinking and server-tool blocks have no place in OpenAI's chat
 * shape and are left out.
 */
export function fromAnthropicResponse(raw: Buffer | string, call: ChatCall): TranslatedResponse {
  const message = parseMessage(raw);
  // JSON mode: the forced tool's input is the answer (see jsonResponseToolOf).
  const jsonMode = jsonResponseToolOf(call.body) !== null;
  const jsonAnswer = jsonMode ? message.content.find((block) => block.type === 'tool_use' && block.name === JSON_RESPONSE_TOOL) : undefined;
  const allText = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  const text = jsonAnswer?.type === 'tool_use' ? JSON.stringify(jsonAnswer.input ?? {}) : allText;
  const toolCalls: OpenAIToolCall[] = message.content.flatMap((block) =>
    block.type === 'tool_use' && !(jsonMode && block.name === JSON_RESPONSE_TOOL)
      ? [{ id: block.id, type: 'function' as const, function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } }]
      : [],
  );
  const usage = fromAnthropicUsage(message.usage);
  const model = typeof message.model === 'string' ? message.model : null;

  const completion: OpenAIChatCompletion = {
    id: message.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: model ?? call.model,
    choices: [
      {
        index: 0,
        message: toOpenAIAssistantMessage(text, toolCalls),
        logprobs: null,
        // The forced tool's call is the answer itself: it ends the turn as an answer does.
        finish_reason: jsonAnswer && message.stop_reason === 'tool_use' ? 'stop' : toOpenAIFinishReason(message.stop_reason),
      },
    ],
    usage: toOpenAIUsageBody(usage, message.usage.cache_read_input_tokens ?? 0),
  };
  // What was generated is counted whole, relayed or not.
  return { body: completion, usage, model, completionText: jsonAnswer ? `${allText}${text}` : text };
}

function parseMessage(raw: Buffer | string): AnthropicMessageResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString());
  } catch {
    parsed = null;
  }
  const candidate = parsed as Partial<AnthropicMessageResponse> | null;
  if (!candidate || typeof candidate !== 'object' || !Array.isArray(candidate.content) || !candidate.usage) {
    // A 200 that is not a Message means something between us and Anthropic misbehaved.
    throw new GatewayError(GatewayErrorCode.UpstreamUnreachable, 'the upstream provider sent an unreadable response');
  }
  return candidate as AnthropicMessageResponse;
}
