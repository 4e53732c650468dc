import { ProviderId } from '@tollgate/provider-settings';
import { ListedModel, withoutContentType } from '../model-list';
import { AdapterContext, ChatCall, ChatStreamTranslator, ProviderAdapter, ProviderError, TranslatedResponse, UpstreamCall } from '../provider-adapter';
import { fromGeminiEmbeddingsResponse, toGeminiEmbeddingsRequest } from './gemini-embeddings';
import { toGeminiProviderError } from './gemini-errors';
import { toGeminiRequest } from './gemini-request';
import { fromGeminiResponse } from './gemini-response';
import { GeminiStreamTranslator } from './gemini-stream';
import { fromGeminiModelList, toGeminiHeaders, toGeminiUrl } from './gemini-url';

/** Google's Gemini API (generativelanguage.googleapis.com), key in `x-goog-api-key`. */
export class GeminiAdapter implements ProviderAdapter {
  readonly id = ProviderId.Gemini;

  toChatRequest({ setting, defaults }: AdapterContext, call: ChatCall): UpstreamCall {
    return {
      url: toGeminiUrl(setting, defaults, call.model, call.stream ? 'streamGenerateContent' : 'generateContent'),
      method: 'POST',
      headers: toGeminiHeaders(setting),
      body: JSON.stringify(toGeminiRequest(call)),
    };
  }

  fromChatResponse(raw: Buffer, call: ChatCall): TranslatedResponse {
    return fromGeminiResponse(raw, call);
  }

  chatStreamTranslator(call: ChatCall, clientWantsUsage: boolean): ChatStreamTranslator {
    return new GeminiStreamTranslator(call, clientWantsUsage);
  }

  toEmbeddingsRequest({ setting, defaults }: AdapterContext, body: Record<string, unknown>, model: string): UpstreamCall {
    return {
      url: toGeminiUrl(setting, defaults, model, 'batchEmbedContents'),
      method: 'POST',
      headers: toGeminiHeaders(setting),
      body: JSON.stringify(toGeminiEmbeddingsRequest(body, model)),
    };
  }

  /**
   * The contract passes only the raw body, but Gemini's answer names no model and OpenAI's
   * base64 encoding depends on the request: callers that pass the request body and model get
   * both right; without them the model is '' and vectors are floats.
   */
  fromEmbeddingsResponse(raw: Buffer, body?: Record<string, unknown>, model?: string): TranslatedResponse {
    return fromGeminiEmbeddingsResponse(raw, model ?? (typeof body?.model === 'string' ? body.model : ''), body?.encoding_format);
  }

  toProviderError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>): ProviderError {
    return toGeminiProviderError(status, body, headers);
  }

  /** GET {base}/models (one page of up to 1000), key in the header as always. */
  toModelsRequest({ setting, defaults }: AdapterContext): UpstreamCall {
    const headers = withoutContentType(toGeminiHeaders(setting));
    return { url: `${(setting.options.url ?? defaults.geminiBaseUrl).replace(/\/+$/, '')}/models?pageSize=1000`, method: 'GET', headers };
  }

  /** Models that generate or embed, named as they route (without "models/"). */
  fromModelsResponse(raw: Buffer): ListedModel[] {
    return fromGeminiModelList(raw);
  }
}
