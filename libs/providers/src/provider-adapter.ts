import { OpenAIErrorBody } from '@tollgate/common';
import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { ListedModel } from './model-list';
import { TokenUsage } from './usage';

/**
 * The contract every provider adapter implements. Adapters are pure: they build upstream
 * requests and translate responses, but never do I/O themselves; the proxy pipeline owns the
 * HTTP client, the relay and the events. The client side is always OpenAI's wire format.
 */

export type ClientHeaders = Record<string, string | string[] | undefined>;

/** What the gateway sends upstream. */
export interface UpstreamCall {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** Gateway-wide defaults adapters may need (from the environment). */
export interface ProviderDefaults {
  openaiBaseUrl: string;
  deepinfraBaseUrl: string;
  anthropicBaseUrl: string;
  geminiBaseUrl: string;
  /** Anthropic requires max_tokens; used when the client sent none. */
  anthropicDefaultMaxTokens: number;
  anthropicVersion: string;
  azureApiVersion: string;
}

export interface AdapterContext {
  setting: ResolvedProviderSetting;
  defaults: ProviderDefaults;
  clientHeaders: ClientHeaders;
}

/** An OpenAI chat completion request, with the model resolved to the provider's own id. */
export interface ChatCall {
  /** The client's OpenAI request body, untouched (its `model` may carry a provider prefix). */
  body: Record<string, unknown>;
  /** The provider's model id (prefix removed), e.g. "claude-sonnet-4-5". */
  model: string;
  stream: boolean;
}

/** A provider's answer, translated to OpenAI's shape. */
export interface TranslatedResponse {
  /** OpenAI-shaped JSON; a Buffer when the provider already speaks OpenAI (relayed byte for byte). */
  body: Buffer | Record<string, unknown>;
  usage: TokenUsage | null;
  /** The model the provider says answered, when it says. */
  model: string | null;
  /** Generated text, for token estimation when usage is missing. */
  completionText: string;
}

/**
 * Turns a provider's SSE stream into OpenAI `chat.completion.chunk` events, one upstream event at
 * a time, so the relay never buffers more than one event.
 */
export interface ChatStreamTranslator {
  /** One upstream SSE event (raw text, terminator included) → SSE text for the client ('' drops it). */
  push(event: string): string;
  /** Called once when the upstream stream ends: closing text for the client (e.g. `data: [DONE]`). */
  end(): string;
  readonly usage: TokenUsage | null;
  /**
   * False when `usage` lacks the final output count: a provider that reports output at the end
   * (Anthropic's message_delta) and a stream cut before it. The output is then also counted
   * from `completionText`. Absent: `usage` is final whenever it is there.
   */
  readonly usageFinal?: boolean;
  readonly model: string | null;
  readonly completionText: string;
  /** The provider's error code when the stream itself reported an error (an in-stream error event). */
  readonly errorCode?: string | null;
  /** True once the stream is over for the translator (an end word, a cut): the relay stops reading. */
  readonly done?: boolean;
}

/** A provider error, mapped for an OpenAI client. */
export interface ProviderError {
  /** Status for the client: provider 4xx stay 4xx, except credential failures (502-class). */
  status: number;
  body: OpenAIErrorBody;
  /** Whether retrying the same request may succeed (429, 5xx, overloaded). */
  retryable: boolean;
  /** Provider's retry-after header, passed on to the client. */
  retryAfter: string | null;
  /** What the operator's log gets and the client does not (a foreign error body: see foreignErrorBody). */
  logDetail?: string | null;
  /**
   * The provider account behind the stored credential is out of credit: every request fails
   * until an admin pays or raises its limit, so the operator is warned, as for a refused credential.
   */
  accountOutOfCredit?: boolean;
}

export interface ProviderAdapter {
  readonly id: ProviderId;
  toChatRequest(context: AdapterContext, call: ChatCall): UpstreamCall;
  fromChatResponse(raw: Buffer, call: ChatCall): TranslatedResponse;
  chatStreamTranslator(call: ChatCall, clientWantsUsage: boolean): ChatStreamTranslator;
  /** Absent for providers without an embeddings API. */
  toEmbeddingsRequest?(context: AdapterContext, body: Record<string, unknown>, model: string): UpstreamCall;
  /** `body` and `model` let an adapter honour the request (encoding_format) and name the model. */
  fromEmbeddingsResponse?(raw: Buffer, body: Record<string, unknown>, model: string): TranslatedResponse;
  toProviderError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>): ProviderError;
  /** The provider's model list (for /v1/models); absent, or null, where it cannot name what routes. */
  toModelsRequest?(context: AdapterContext): UpstreamCall | null;
  /** The listed models, named as the unified API routes them (without the provider prefix). */
  fromModelsResponse?(raw: Buffer): ListedModel[];
}
