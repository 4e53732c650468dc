import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ProviderId } from '@tollgate/provider-settings';
import { OpenAIStreamObserver, toolCallText } from '../openai/openai-stream';
import { toOpenAIChatBody } from '../openai/openai-request';
import { AdapterContext, ChatCall, ChatStreamTranslator, ProviderAdapter, ProviderError, TranslatedResponse, UpstreamCall } from '../provider-adapter';
import { forwardedClientHeader } from '../http/client-headers';
import { ListedModel, modelsOf, unixSeconds } from '../model-list';
import { fromOpenAIUsage } from '../usage';
import { incompleteStream } from '../sse/incomplete-stream';
import { toOpenAIProviderError } from './openai-errors';

/** The operations the unified API sends to an OpenAI-compatible server. */
export type OpenAIOperation = 'chat/completions' | 'completions' | 'embeddings';

/** Client headers an OpenAI-compatible server may see; never cookies, org/project or hop-by-hop. */
const FORWARDED_CLIENT_HEADERS = ['accept', 'user-agent', 'openai-beta'];

/**
 * Base for every provider that already speaks OpenAI's API (OpenAI, Azure OpenAI, vLLM,
 * Deepinfra): requests go out as they came, with the model renamed and the credential
 * swapped; responses and streams are relayed byte for byte while usage is read on the way.
 * A subclass says only where the API lives and how it authenticates.
 */
export abstract class OpenAICompatibleAdapter implements ProviderAdapter {
  abstract readonly id: ProviderId;

  /** Base URL including the version prefix, e.g. "https://api.openai.com/v1". */
  protected abstract baseUrl(context: AdapterContext): string;

  /** The URL of an operation; Azure overrides this (deployments, api-version). */
  protected operationUrl(context: AdapterContext, operation: OpenAIOperation, _model: string): string {
    return `${this.baseUrl(context)}/${operation}`;
  }

  protected authHeaders(context: AdapterContext): Record<string, string> {
    const apiKey = context.setting.credentials.apiKey;
    return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  }

  /** GET/POST any path below the base URL, for the native passthrough routes. */
  passthroughUrl(context: AdapterContext, path: string, search: string): string {
    return `${this.baseUrl(context)}${path}${search}`;
  }

  headers(context: AdapterContext, contentType: string | null): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_CLIENT_HEADERS) {
      const value = forwardedClientHeader(context.clientHeaders, name);
      if (value !== null) headers[name] = value;
    }
    if (contentType) headers['content-type'] = contentType;
    // Bodies are read for usage on the way through, so ask for them uncompressed.
    headers['accept-encoding'] = 'identity';
    return { ...headers, ...this.authHeaders(context) };
  }

  toChatRequest(context: AdapterContext, call: ChatCall): UpstreamCall {
    const body = call.body.model === call.model ? call.body : { ...call.body, model: call.model };
    return {
      url: this.operationUrl(context, 'chat/completions', call.model),
      method: 'POST',
      headers: this.headers(context, 'application/json'),
      body: JSON.stringify(toOpenAIChatBody(body, this.takesStreamOptions(context)).body),
    };
  }

  /** Legacy text completions; streams ask for usage, as chat streams do. */
  toCompletionsRequest(context: AdapterContext, body: Record<string, unknown>, model: string): UpstreamCall {
    return {
      url: this.operationUrl(context, 'completions', model),
      method: 'POST',
      headers: this.headers(context, 'application/json'),
      body: JSON.stringify(toOpenAIChatBody(body.model === model ? body : { ...body, model }, this.takesStreamOptions(context)).body),
    };
  }

  /** Whether the API takes stream_options (for usage on streams); `search` is a native call's query. */
  takesStreamOptions(_context: AdapterContext, _search = ''): boolean {
    return true;
  }

  fromChatResponse(raw: Buffer): TranslatedResponse {
    return readOpenAIAnswer(raw);
  }

  chatStreamTranslator(_call: ChatCall, clientWantsUsage: boolean): ChatStreamTranslator {
    return new OpenAIStreamPassthrough(clientWantsUsage, { endRequired: true });
  }

  toEmbeddingsRequest(context: AdapterContext, body: Record<string, unknown>, model: string): UpstreamCall {
    return {
      url: this.operationUrl(context, 'embeddings', model),
      method: 'POST',
      headers: this.headers(context, 'application/json'),
      body: JSON.stringify(body.model === model ? body : { ...body, model }),
    };
  }

  fromEmbeddingsResponse(raw: Buffer): TranslatedResponse {
    return readOpenAIAnswer(raw);
  }

  toProviderError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>): ProviderError {
    return toOpenAIProviderError(status, body, headers);
  }

  toModelsRequest(context: AdapterContext): UpstreamCall | null {
    return { url: this.passthroughUrl(context, '/models', ''), method: 'GET', headers: this.headers(context, null) };
  }

  fromModelsResponse(raw: Buffer): ListedModel[] {
    return modelsOf(raw, 'data', (entry) => (typeof entry.id === 'string' ? { id: entry.id, created: unixSeconds(entry.created) } : null));
  }
}

/**
 * A successful answer to a unified-API operation (chat, legacy completions, embeddings). An
 * empty body is no answer: relayed as a 200, the client's SDK failed to parse it (an error it
 * does not retry) and the event recorded a success; it is a 502, as a translated provider's
 * unreadable answer is. (Native paths relay whatever comes: some answers are empty.)
 */
export function readOpenAIAnswer(raw: Buffer): TranslatedResponse {
  if (isBlank(raw)) throw new GatewayError(GatewayErrorCode.UpstreamUnreachable, 'the upstream provider sent an empty response');
  return readOpenAIResponse(raw);
}

/** Nothing but JSON whitespace (read up to the first byte that is not). */
function isBlank(raw: Buffer): boolean {
  for (const byte of raw) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

/** The response is already OpenAI's: relay the bytes, read usage, model and text. */
export function readOpenAIResponse(raw: Buffer): TranslatedResponse {
  let parsed: Record<string, unknown> | null = null;
  try {
    const value = JSON.parse(raw.toString('utf8')) as unknown;
    if (value && typeof value === 'object') parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON: relayed as is, with no usage.
  }
  const usage = fromOpenAIUsage(parsed?.usage);
  return {
    body: raw,
    usage,
    model: typeof parsed?.model === 'string' ? parsed.model : null,
    // Only read when there is no usage to price from (the tokenizer then counts it).
    completionText: usage === null ? completionTextOf(parsed) : '',
  };
}

/** What the answer generated, for counting when it reports no usage: text and tool calls. */
function completionTextOf(parsed: Record<string, unknown> | null): string {
  const choices = Array.isArray(parsed?.choices) ? (parsed!.choices as Array<Record<string, unknown>>) : [];
  return choices
    .map((choice) => {
      const message = choice.message as { content?: unknown; tool_calls?: unknown } | undefined;
      const text = typeof message?.content === 'string' ? message.content : typeof choice.text === 'string' ? choice.text : '';
      return text + toolCallText(message?.tool_calls);
    })
    .join('');
}

/**
 * With stream_options.include_usage, every chunk carries a top-level `"usage": null` (the final
 * chunk carries the usage). When the gateway asked for usage on the client's behalf, those nulls
 * go too, so the client gets the chunks it would have got without asking. Only a member of the
 * chunk object itself is cut (a nested one stays), with one neighbouring comma, whatever member
 * follows (OpenAI's `obfuscation` does) and however the server spaces its JSON. A string cannot
 * hold the unescaped text, so a match is a member; more than one is left alone.
 */
const NULL_USAGE = /"usage"\s*:\s*null/g;

function withoutNullUsage(event: string): string {
  if (!event.includes('"usage"')) return event;
  const matches = [...event.matchAll(NULL_USAGE)];
  if (matches.length !== 1) return event;
  const start = matches[0].index;
  const end = start + matches[0][0].length;
  if (depthAt(event, start) !== 1) return event;
  const before = event.slice(0, start).trimEnd();
  if (before.endsWith(',')) return before.slice(0, -1) + event.slice(end);
  const after = event.slice(end).trimStart();
  if (after.startsWith(',')) return event.slice(0, start) + after.slice(1).trimStart();
  return event;
}

/** How many objects and arrays are open at `index` of a JSON text (strings skipped). */
function depthAt(text: string, index: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < index; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') depth--;
  }
  return depth;
}

/**
 * An OpenAI SSE stream relayed verbatim, minus the usage chunk the client did not ask for.
 * `endRequired`: the stream's protocol marks the answer's end (chat and legacy completions, the
 * Responses API), so a body that closes before it was cut off: the client gets an error frame and
 * the event records the failure, rather than a clean close that passes a partial answer off as
 * whole. Other streams (assistants runs, audio, images) end as their upstream ends them.
 */
export class OpenAIStreamPassthrough implements ChatStreamTranslator {
  private readonly observer: OpenAIStreamObserver;
  private readonly endRequired: boolean;

  constructor(
    private readonly clientWantsUsage: boolean,
    options: { endRequired?: boolean } = {},
  ) {
    this.observer = new OpenAIStreamObserver(clientWantsUsage);
    this.endRequired = options.endRequired === true;
  }

  push(event: string): string {
    if (!this.observer.observe(event)) return '';
    return this.clientWantsUsage ? event : withoutNullUsage(event);
  }

  end(): string {
    if (this.endRequired && !this.observer.ended) throw incompleteStream();
    return '';
  }

  /** `data: [DONE]` ends the answer: anything the upstream sends or does after it is not the client's. */
  get done(): boolean {
    return this.observer.sawDone;
  }

  get usage() {
    return this.observer.usage;
  }

  get model() {
    return this.observer.model;
  }

  get completionText() {
    return this.observer.completionText;
  }

  get errorCode() {
    return this.observer.errorCode;
  }
}
