import { ProviderId } from '@tollgate/provider-settings';
import { ListedModel, modelsOf, unixSecondsOfTimestamp, withoutContentType } from '../model-list';
import { AdapterContext, ChatCall, ChatStreamTranslator, ProviderAdapter, ProviderError, TranslatedResponse, UpstreamCall } from '../provider-adapter';
import { toAnthropicHeaders, toAnthropicUrl } from './anthropic-api';
import { toProviderError } from './anthropic-errors';
import { toAnthropicRequest } from './anthropic-request';
import { fromAnthropicResponse } from './anthropic-response';
import { AnthropicStreamTranslator } from './anthropic-stream';

/**
 * Anthropic Messages behind the OpenAI chat API. Only wiring: the translation lives in the pure
 * functions it calls. Anthropic has no embeddings API, so the optional methods stay undefined.
 */
export class AnthropicAdapter implements ProviderAdapter {
  readonly id = ProviderId.Anthropic;

  toChatRequest(context: AdapterContext, call: ChatCall): UpstreamCall {
    return {
      url: toAnthropicUrl(context.setting, context.defaults, '/v1/messages'),
      method: 'POST',
      headers: toAnthropicHeaders(context.setting, context.clientHeaders, context.defaults),
      body: JSON.stringify(toAnthropicRequest(call, context.defaults)),
    };
  }

  fromChatResponse(raw: Buffer, call: ChatCall): TranslatedResponse {
    return fromAnthropicResponse(raw, call);
  }

  chatStreamTranslator(call: ChatCall, clientWantsUsage: boolean): ChatStreamTranslator {
    return new AnthropicStreamTranslator(call, clientWantsUsage);
  }

  toProviderError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>): ProviderError {
    return toProviderError(status, body, headers);
  }

  /** GET /v1/models (https://docs.anthropic.com/en/api/models-list), one page of up to 1000. */
  toModelsRequest(context: AdapterContext): UpstreamCall {
    const headers = withoutContentType(toAnthropicHeaders(context.setting, {}, context.defaults));
    return { url: toAnthropicUrl(context.setting, context.defaults, '/v1/models?limit=1000'), method: 'GET', headers };
  }

  fromModelsResponse(raw: Buffer): ListedModel[] {
    return modelsOf(raw, 'data', (entry) => (typeof entry.id === 'string' ? { id: entry.id, created: unixSecondsOfTimestamp(entry.created_at) } : null));
  }
}
