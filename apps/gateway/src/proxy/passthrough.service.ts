import { Injectable } from '@nestjs/common';
import { finished } from 'node:stream/promises';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { normalizePath } from '@tollgate/config-cache';
import { PROVIDER_IDS, ProviderId } from '@tollgate/provider-settings';
import { asksForHourLongCache } from '@tollgate/limits';
import {
  AnthropicNativeStreamObserver,
  ChatStreamTranslator,
  OpenAICompatibleAdapter,
  OpenAIStreamPassthrough,
  UpstreamResponse,
  parseAnthropicError,
  readAnthropicResponse,
  readOpenAIResponse,
  toAnthropicErrorBody,
  toAnthropicHeaders,
  toAnthropicUrl,
  toOpenAIChatBody,
  toUpstreamError,
} from '@tollgate/providers';
import { decodeOrKeep } from '../http/decode';
import { pathOf } from '../http/send-error';
import { Exchange, ProxyCall } from './exchange';
import { ProxyPipeline } from './proxy-pipeline';
import { chatBilledByTokens, costedChatBody, costedResponsesBody, responsesBilledByTokens } from './token-billing';
import { isMultipartForm, readMultipartField } from './multipart-field';
import { jsonBody } from './proxy.service';
import { ResolvedRoute, RouteResolver } from './route-resolver';
import { isJsonOrUntyped, relayedHeaders } from './upstream-response';

export interface PassthroughSpec {
  provider: ProviderId;
  /** The API the client speaks on this path: the provider's own, relayed untouched. */
  dialect: 'openai' | 'anthropic';
  /** Path below the provider's base URL (OpenAI-compatible: below /v1; Anthropic: from /v1). */
  upstreamPath: string;
  /** A model named by the path (an Azure deployment). */
  pathModel?: string;
  /**
   * Reached through the unified API, where `provider/model` names pick providers: a model named
   * for another provider is the client's mistake to hear about, not OpenAI's to refuse.
   */
  openAIOnly?: boolean;
}

/** One of `operations`, below a provider's base (OpenAI style), its /v1 (Anthropic), or an Azure deployment. */
function operationAt(operations: string): RegExp {
  return new RegExp(`^(\\/v1|\\/openai\\/deployments\\/[^/]+)?\\/(${operations})$`);
}

/** Operations that cost nothing: listing and reading models and files, moderations. */
const FREE_PATHS = /^\/(models(\/[^/]+)?|moderations|files(\/[^/]+(\/content)?)?|v1\/messages\/count_tokens|v1\/models(\/[^/]+)?)$/;
/** Reading, listing or deleting what earlier requests made (a stored response, completion, run, batch) runs no model. */
const READS_OR_DELETES = new Set(['GET', 'HEAD', 'DELETE']);
/** POSTs on a stored object that run no model: updating a stored chat completion's metadata, cancelling, pausing or resuming a job, ending a realtime call. */
const NON_GENERATING_POSTS =
  /^\/(chat\/completions\/[^/]+|responses\/[^/]+\/cancel|batches\/[^/]+\/cancel|threads\/[^/]+\/runs\/[^/]+\/cancel|fine_tuning\/jobs\/[^/]+\/(cancel|pause|resume)|realtime\/calls\/[^/]+\/(hangup|refer|reject))$/;
/**
 * Operations billed by tokens the gateway reads and prices. Anchored: /threads/{id}/messages and
 * /chat/completions/{id}/messages are other operations, which name no model.
 */
const TOKEN_PATHS = operationAt('chat\\/completions|completions|embeddings|messages|complete');

/**
 * Besides the token-billed ones, operations that run a model even when the request names none
 * (the provider's default, e.g. dall-e-2 for images): a key or user restricted to some models
 * must name one. Their uploads name the model inside the form.
 */
const MODEL_UPLOADS = /\/(images\/(generations|edits|variations)|audio\/(transcriptions|translations|speech))$/;

/**
 * Creating these runs a model the request need not name (an assistant's, a stored prompt's):
 * a key or user restricted to some models must name one in the request. (Submitting tool
 * outputs continues a run whose model was checked when it was created.)
 */
const MODEL_RUNS = new RegExp(
  `^\\/(${[
    'responses',
    'responses\\/compact',
    'batches',
    'threads\\/runs',
    'threads\\/[^/]+\\/runs',
    // A video (Sora) and its remix; the remix's model is the original's.
    'videos',
    'videos\\/[^/]+\\/remix',
    // Realtime sessions: the model is used over a connection the gateway never sees.
    'realtime\\/sessions',
    'realtime\\/transcription_sessions',
    'realtime\\/client_secrets',
    'evals\\/[^/]+\\/runs',
  ].join('|')})$`,
);
/**
 * Writes known to run no model: uploads, threads and their messages, modifying a run or an
 * assistant, stores of files and vectors, conversations, containers, eval definitions,
 * fine-tuned checkpoints' permissions, Anthropic's files and skills, continuing a run already
 * checked. Any other write that names no model the gateway can read (a grader run, a
 * realtime call whose model is inside its form, an operation added to the API tomorrow) may run
 * any model: a key or user restricted to some models is refused it.
 */
const NO_MODEL_WRITES = new RegExp(
  `^\\/(v1\\/)?(${[
    'uploads(\\/[^/]+\\/(parts|complete|cancel))?',
    'threads(\\/[^/]+(\\/messages(\\/[^/]+)?)?)?',
    // Modifying a run (its metadata) or submitting tool outputs continues a run checked when it began.
    'threads\\/[^/]+\\/runs\\/[^/]+(\\/submit_tool_outputs)?',
    // Modifying an assistant: a model it names is read and checked like any.
    'assistants\\/[^/]+',
    'fine_tuning\\/checkpoints\\/[^/]+\\/permissions',
    'vector_stores(\\/.*)?',
    'conversations(\\/.*)?',
    'containers(\\/.*)?',
    'evals(\\/[^/]+)?',
    'files',
    'skills(\\/.*)?',
    'messages\\/batches\\/[^/]+\\/cancel',
  ].join('|')})$`,
);
/** A model named in the path: retrieving or deleting one (a fine-tuned model) is checked against allowed models. */
const MODEL_IN_PATH = /^\/(?:v1\/)?models\/([^/]+)\/*$/;

/**
 * Operations whose top-level model field, if any, is not the model they run: a batch runs those
 * of its input file and an eval run those of its data source and graders, which the gateway
 * cannot all read (a restricted key cannot start one, whatever it names); a realtime client
 * secret or transcription session runs the one its session names, read instead.
 */
const MODEL_ELSEWHERE = /^\/(batches|evals\/[^/]+\/runs|realtime\/client_secrets|realtime\/transcription_sessions)$/;
/** Where those with a readable model hold it: `{ session: { model } }`. */
const NESTED_MODEL_HOLDERS: Record<string, string> = {
  '/realtime/client_secrets': 'session',
  '/realtime/transcription_sessions': 'input_audio_transcription',
};

/** Paths whose answers are generated tokens (budgets reserve output for them). */
const GENERATING_PATHS = operationAt('chat\\/completions|completions|messages|complete|responses');
/** OpenAI-style streams that carry usage only when asked (stream_options.include_usage); a Responses stream always does. */
const USAGE_ON_REQUEST_PATHS = operationAt('chat\\/completions|completions');
/** Streams whose protocol marks the answer's end ([DONE], a finish_reason, response.completed): see OpenAIStreamPassthrough. */
const ANSWER_END_MARKED_PATHS = operationAt('chat\\/completions|completions|responses');
/** The Responses API: billed by tokens or not, depending on the request (responsesBilledByTokens). */
const RESPONSES = /^\/responses$/;
/**
 * OpenAI-style chat and legacy completions, whose output limits are max_tokens and
 * max_completion_tokens only (see costedChatBody): also relayed to servers that ignore fields
 * they do not know (vLLM, Deepinfra, any OpenAI-compatible url).
 */
const CHAT_OR_COMPLETIONS = operationAt('chat\\/completions|completions');
/** Chat operations (OpenAI's, Anthropic's): billed by tokens unless they pull in content or tools (chatBilledByTokens). */
const CHAT_PATHS = operationAt('chat\\/completions|messages');

/**
 * Providers' native APIs, relayed as they are: the gateway swaps the credential, applies keys'
 * access rules and limits, reads usage on the way through and records the event. Multipart
 * uploads and binary answers (files, audio) pass through as bytes.
 */
@Injectable()
export class PassthroughService {
  constructor(
    private readonly pipeline: ProxyPipeline,
    private readonly routes: RouteResolver,
  ) {}

  forward(call: ProxyCall, spec: PassthroughSpec): Promise<void> {
    const body = jsonBody(call);
    const exchange = new Exchange(call, body);
    // What the operation is, as the provider will read the path: /v1/%72esponses is /v1/responses.
    // The path is relayed as written; only its classification uses this form.
    const operation = normalizePath(spec.upstreamPath);
    let model = spec.pathModel ?? modelInPathOf(spec.upstreamPath, operation) ?? (call.request.method === 'POST' && MODEL_ELSEWHERE.test(operation) ? nestedModelOf(body, operation) : modelFieldOf(body));
    // Everything else (images, audio, batches, fine-tuning, assistants runs) is billed in ways
    // the gateway cannot price: recorded with an unknown cost, refused to budgeted keys. Reading
    // a stored object back is free, and the usage it carries was billed when it was made.
    const free = FREE_PATHS.test(operation) || READS_OR_DELETES.has(call.request.method) || (call.request.method === 'POST' && NON_GENERATING_POSTS.test(operation));
    exchange.usageBilled = !free;
    const billing = free
      ? 'free'
      : billedByTokens(operation, call.request.method, body)
        ? 'tokens'
        : 'unpriced';
    exchange.tokenBilled = billing === 'tokens' && model !== null && body !== null;
    exchange.billedOtherwise = billing === 'unpriced';
    return this.pipeline.run(exchange, async () => {
      assertRelayablePath(call.request, spec.upstreamPath);
      if (spec.openAIOnly && model !== null) assertOpenAIModel(model, spec.upstreamPath);
      const { request } = call;
      const contentType = typeof request.headers['content-type'] === 'string' ? request.headers['content-type'] : null;
      const runsModel =
        billing === 'tokens' ||
        MODEL_UPLOADS.test(operation) ||
        (request.method === 'POST' && MODEL_RUNS.test(operation)) ||
        (billing !== 'free' && !READS_OR_DELETES.has(request.method) && !NO_MODEL_WRITES.test(operation));
      // Uploads (audio, image edits) name their model inside the form: read it, so allowed
      // models apply to them too. Other forms (file uploads) are never parsed.
      if (model === null && runsModel && Buffer.isBuffer(request.body) && isMultipartForm(contentType)) {
        model = await readMultipartField(request.body, contentType, 'model');
        if (model !== null) exchange.model = model;
      }
      const route = this.routes.resolve(exchange.key, model ?? '', spec.provider);
      const modelBound = model !== null || runsModel;
      const generates = GENERATING_PATHS.test(operation);
      // Only Anthropic's own API can write its one-hour cache.
      const body = exchange.body;
      const hourLongCacheWrites = route.provider === ProviderId.Anthropic && body !== null ? () => asksForHourLongCache(body) : undefined;
      await this.pipeline.admit(exchange, route, { modelBound, generates, billing, hourLongCacheWrites, costedBody: costedBodyOf(spec, operation, body) });
      const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const context = this.pipeline.context(exchange, route);
      const adapter = spec.dialect === 'openai' ? (this.pipeline.adapterFor(route) as OpenAICompatibleAdapter) : null;
      // Only a usage chunk the gateway itself asked for is stripped; any other stream (assistants
      // runs, whose completed events carry usage) reaches the client whole.
      let keepUsageChunks = true;
      let outgoing: string | Buffer | undefined;
      if (Buffer.isBuffer(request.body)) {
        outgoing = request.body;
      } else if (body) {
        // The provider knows the model without the gateway's prefix (`openai/gpt-4o` is gpt-4o).
        let upstreamBody = body.model === model && route.model !== model ? { ...body, model: route.model } : body;
        // OpenAI-style streams are asked for usage, so they can be priced; the client's choice is kept.
        if (adapter && body.stream === true && USAGE_ON_REQUEST_PATHS.test(operation)) {
          const prepared = toOpenAIChatBody(upstreamBody, adapter.takesStreamOptions(context, search));
          upstreamBody = prepared.body;
          keepUsageChunks = prepared.clientWantsUsage;
        }
        outgoing = JSON.stringify(upstreamBody);
      } else if (request.body !== undefined && request.body !== null) {
        // JSON that is not an object (an array, a number) is the provider's to refuse or read:
        // relayed as it came, not dropped for an empty body the client never sent.
        outgoing = JSON.stringify(request.body);
      }
      exchange.stream = body?.stream === true;
      let url: string;
      let headers: Record<string, string>;
      if (!adapter) {
        url = `${toAnthropicUrl(route.setting, this.pipeline.defaults, spec.upstreamPath)}${search}`;
        headers = toAnthropicHeaders(route.setting, request.headers, this.pipeline.defaults);
      } else {
        url = adapter.passthroughUrl(context, spec.upstreamPath, search);
        headers = adapter.headers(context, outgoing === undefined ? null : Buffer.isBuffer(outgoing) ? contentType : 'application/json');
      }
      const upstream = await this.pipeline.send(exchange, { url, method: request.method, headers, body: outgoing });
      if (this.pipeline.isStream(upstream, exchange.stream)) {
        const translator: ChatStreamTranslator = spec.dialect === 'anthropic' ? new AnthropicNativeStreamObserver() : new OpenAIStreamPassthrough(keepUsageChunks, { endRequired: ANSWER_END_MARKED_PATHS.test(operation) });
        return this.pipeline.relayStream(exchange, upstream, translator);
      }
      if (!isJsonOrUntyped(upstream.headers) && upstream.statusCode < 400) return this.relayBinary(exchange, upstream);
      const { raw, errorStatus } = await this.pipeline.readAnswer(upstream, exchange, 'native');
      if (upstream.statusCode >= 400) return this.relayError(exchange, spec, route, upstream, raw);
      this.pipeline.respond(exchange, upstream, spec.dialect === 'anthropic' ? readAnthropicResponse(raw) : readOpenAIResponse(raw));
      // A 2xx whose body is an error is relayed as it came, status and all (its credential taken
      // out): the client speaks the provider's own API here, and these paths serve operations
      // whose answers the gateway does not know, some of which describe a failure in a success
      // (a failed job, a failed background response); rewriting one it misread would break an
      // answer the client's SDK reads fine. Its event records it, though: its error code, no
      // cost (nothing was generated), and the operator's warning when the account is out of credit.
      if (errorStatus !== null) this.pipeline.recordRelayedErrorAnswer(exchange, this.pipeline.adapterFor(route).toProviderError(errorStatus, raw, upstream.headers));
    });
  }

  /**
   * Files and audio: bytes streamed to the client as they come, never buffered whole. Resolves
   * when the body has been sent or the client left, so the event's latency covers the body.
   */
  private async relayBinary(exchange: Exchange, upstream: UpstreamResponse): Promise<void> {
    exchange.tokenBilled = false;
    const headers = relayedHeaders(upstream.headers);
    for (const name of ['content-type', 'content-length', 'content-disposition']) {
      const value = upstream.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const { reply } = exchange.call;
    // The upstream breaking off mid-body cuts the client's response short too (its status has
    // gone): the event says the upstream failed, not that the client left.
    upstream.body.once('error', (error: Error) => {
      if (reply.raw.destroyed && !reply.raw.writableFinished && exchange.clientLeft) return;
      exchange.upstreamBrokeOff = true;
      const failure = toUpstreamError(error);
      exchange.errorCode = failure.code;
      exchange.errorDetail = failure.logDetail;
    });
    // Fastify sends the status with the body's first bytes: a body that failed before them went
    // to its error handler, a 500 "gateway failed" recorded as the gateway's own refusal. Until
    // then nothing has gone out, so such a failure is answered as one before the answer (502, 504).
    try {
      await bodyStarted(upstream.body);
    } catch (error) {
      throw exchange.clientLeft ? error : toUpstreamError(error);
    }
    void reply.status(upstream.statusCode).headers(headers).send(upstream.body.readableEnded ? Buffer.alloc(0) : upstream.body);
    // A premature close rejects; the exchange then reads as one whose client left.
    await finished(reply.raw).catch(() => undefined);
  }

  private relayError(exchange: Exchange, spec: PassthroughSpec, route: ResolvedRoute, upstream: UpstreamResponse, raw: Buffer): void {
    const adapter = this.pipeline.adapterFor(route);
    const mapped = adapter.toProviderError(upstream.statusCode, raw, upstream.headers);
    if (spec.dialect !== 'anthropic') return this.pipeline.respondError(exchange, mapped, upstream.headers);
    // The client speaks Anthropic: its errors are relayed as they are (a 529 stays a 529, which
    // Anthropic's SDK knows as OverloadedError and retries). Only a refused stored credential
    // (a 4xx the gateway answers as 502) gets a gateway-written body, in Anthropic's shape too.
    // Something that is not Anthropic's error body (an HTML page from a proxy in front of it) is
    // wrapped in that shape as well, so the SDK still reads a message.
    const credentialFailure = mapped.status >= 500 && upstream.statusCode < 500;
    const status = credentialFailure ? mapped.status : upstream.statusCode;
    const body = credentialFailure || parseAnthropicError(raw) === null ? toAnthropicErrorBody(status, mapped.body.error.message) : raw;
    this.pipeline.respondError(
      exchange,
      {
        status,
        body,
        retryAfter: mapped.retryAfter,
        code: mapped.body.error.code ?? `upstream_${upstream.statusCode}`,
        retryable: mapped.retryable,
        logDetail: mapped.logDetail,
        accountOutOfCredit: mapped.accountOutOfCredit,
      },
      upstream.headers,
    );
  }
}

/**
 * What a budget counts the worst case from: the body, without output limits the operation's API
 * does not read. A budget reserves by the largest limit a body names, so one of those let a
 * request reserve for 1 token while the server, ignoring it, generated up to its own default.
 */
function costedBodyOf(spec: PassthroughSpec, operation: string, body: Record<string, unknown> | null): Record<string, unknown> | undefined {
  if (body === null || spec.dialect !== 'openai') return undefined;
  if (CHAT_OR_COMPLETIONS.test(operation)) return costedChatBody(body);
  return RESPONSES.test(operation) ? costedResponsesBody(body) : undefined;
}

/**
 * Resolves when a body has bytes to read, or has ended (an empty body: it is then read to its
 * end, and `readableEnded`); rejects if it fails before.
 */
function bodyStarted(body: UpstreamResponse['body']): Promise<void> {
  return new Promise((resolve, reject) => {
    if (body.errored) return reject(body.errored);
    const settle = (error?: Error): void => {
      body.off('readable', started).off('end', started).off('error', settle);
      if (error) reject(error);
      else resolve();
    };
    const started = (): void => settle();
    body.once('readable', started).once('end', started).once('error', settle);
  });
}

function assertOpenAIModel(model: string, upstreamPath: string): void {
  const prefix = model.slice(0, Math.max(0, model.indexOf('/'))).toLowerCase();
  if (prefix !== ProviderId.OpenAI && (PROVIDER_IDS as string[]).includes(prefix)) {
    throw new GatewayError(
      GatewayErrorCode.InvalidRequest,
      `/v1${upstreamPath} is relayed to OpenAI only; '${model}' names another provider. Use /v1/chat/completions (every provider) or that provider's native path.`,
      'model',
    );
  }
}

/**
 * The path relayed below the provider's base URL, checked segment by segment:
 * - an empty one (`/v1//chat/completions`, `/v1/files/`) names no operation of its own, only
 *   another spelling of one the gateway's routes and checks did not see as written: not served
 *   (404), as with the gateway's own routes;
 * - one that decodes to "." or ".." (or hides a slash) would let a client walk out of a base
 *   such as https://proxy.corp/tenant-a/v1 into another tenant's path, with this tenant's
 *   credential: refused (400).
 */
function assertRelayablePath(request: ProxyCall['request'], path: string): void {
  const segments = path.split('/').slice(1);
  if (segments.some((segment) => segment === '')) throw new GatewayError(GatewayErrorCode.NotFound, `Cannot ${request.method} ${pathOf(request.url)}`);
  for (const segment of segments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'The request path has a malformed percent-encoding.');
    }
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded)) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'The request path may not contain "." or ".." segments or encoded slashes.');
    }
  }
}

/** Whether a billed operation's cost follows from the tokens its usage reports (and the request bounds them). */
function billedByTokens(operation: string, method: string, body: Record<string, unknown> | null): boolean {
  if (TOKEN_PATHS.test(operation)) return !CHAT_PATHS.test(operation) || chatBilledByTokens(body);
  return method === 'POST' && RESPONSES.test(operation) && responsesBilledByTokens(body);
}

/**
 * The model a `/models/{id}` path names, as the provider reads it: from the path as written
 * (ids are case-sensitive, and an encoded slash is part of the id), else from its normalized
 * form, so that no spelling of such a path goes unchecked.
 */
function modelInPathOf(upstreamPath: string, operation: string): string | null {
  const written = MODEL_IN_PATH.exec(upstreamPath)?.[1];
  if (written !== undefined) return decodeOrKeep(written);
  return MODEL_IN_PATH.exec(operation)?.[1] ?? null;
}

function modelFieldOf(body: Record<string, unknown> | null): string | null {
  return typeof body?.model === 'string' ? body.model : null;
}

/** The model of an operation that names it below the top level; null when it names none the gateway can read. */
function nestedModelOf(body: Record<string, unknown> | null, operation: string): string | null {
  const holder = NESTED_MODEL_HOLDERS[operation];
  const nested: unknown = holder === undefined ? null : body?.[holder];
  return nested !== null && typeof nested === 'object' && !Array.isArray(nested) ? modelFieldOf(nested as Record<string, unknown>) : null;
}


