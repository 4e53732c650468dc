import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ChatCall, TranslatedResponse } from '../provider-adapter';
import { fromAnthropicUsage, toOpenAIFinishReason, toOpenAIUsageBody } from './anthropic-mapping';
import { AnthropicMessageResponse } from './anthropic.types';
import { OpenAIChatCompletion, OpenAIToolCall, toOpenAIAssistantMessage } from '../openai/openai-chat.types';

/**
 * Anthropic Message → OpenAI `chat.completion`. Text blocks join into `content`, tool_use
 * blocks become `tool_calls`; thinking and server-tool blocks have no place in OpenAI's chat
 * shape and are left out.
 */
export function fromAnthropicResponse(raw: Buffer | string, call: ChatCall): TranslatedResponse {
  const message = parseMessage(raw);
  const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  const toolCalls: OpenAIToolCall[] = message.content.flatMap((block) =>
    block.type === 'tool_use'
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
        finish_reason: toOpenAIFinishReason(message.stop_reason),
      },
    ],
    usage: toOpenAIUsageBody(usage, message.usage.cache_read_input_tokens ?? 0),
  };
  return { body: completion, usage, model, completionText: text };
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
