import { Injectable } from '@nestjs/common';
import { finished } from 'node:stream/promises';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ProviderId } from '@tollgate/provider-settings';
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
} from '@tollgate/providers';
import { Exchange, ProxyCall } from './exchange';
import { ProxyPipeline } from './proxy-pipeline';
import { isMultipartForm, readMultipartField } from './multipart-field';
import { jsonBody } from './proxy.service';
import { ResolvedRoute, RouteResolver } from './route-resolver';
import { relayedHeaders } from './upstream-response';

export interface PassthroughSpec {
  provider: ProviderId;
  /** The API the client speaks on this path: the provider's own, relayed untouched. */
  dialect: 'openai' | 'anthropic';
  /** Path below the provider's base URL (OpenAI-compatible: below /v1; Anthropic: from /v1). */
  upstreamPath: string;
  /** A model named by the path (an Azure deployment). */
  pathModel?: string;
}

/** One of `operations`, below a provider's base (OpenAI style), its /v1 (Anthropic), or an Azure deployment. */
function operationAt(operations: string): RegExp {
  return new RegExp(`^(\\/v1|\\/openai\\/deployments\\/[^/]+)?\\/(${operations})$`);
}

/** Operations that cost nothing: listing and reading models and files, moderations. */
const FREE_PATHS = /^\/(models(\/[^/]+)?|moderations|files(\/[^/]+(\/content)?)?)$/;
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
const MODEL_RUNS = /^\/(responses|batches|threads\/runs|threads\/[^/]+\/runs)$/;
/** A batch runs the models named in its input file, which the gateway cannot read: its own model field, if any, says nothing. */
const BATCHES = /^\/batches$/;

/** Paths whose answers are generated tokens (budgets reserve output for them). */
const GENERATING_PATHS = operationAt('chat\\/completions|completions|messages|complete');

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
    // A batch's models are in its input file: a restricted key cannot start one, whatever it names.
    const batch = call.request.method === 'POST' && BATCHES.test(spec.upstreamPath);
    let model = spec.pathModel ?? (typeof body?.model === 'string' && !batch ? body.model : null);
    // Everything else (images, audio, batches, fine-tuning, assistants runs) is billed in ways
    // the gateway cannot price: recorded with an unknown cost, refused to budgeted keys.
    const billing = FREE_PATHS.test(spec.upstreamPath) ? 'free' : TOKEN_PATHS.test(spec.upstreamPath) ? 'tokens' : 'unpriced';
    exchange.tokenBilled = billing === 'tokens' && model !== null && body !== null;
    exchange.billedOtherwise = billing === 'unpriced';
    return this.pipeline.run(exchange, async () => {
      assertContainedPath(spec.upstreamPath);
      const { request } = call;
      const contentType = typeof request.headers['content-type'] === 'string' ? request.headers['content-type'] : null;
      const runsModel =
        billing === 'tokens' || MODEL_UPLOADS.test(spec.upstreamPath) || (request.method === 'POST' && MODEL_RUNS.test(spec.upstreamPath));
      // Uploads (audio, image edits) name their model inside the form: read it, so allowed
      // models apply to them too. Other forms (file uploads) are never parsed.
      if (model === null && runsModel && Buffer.isBuffer(request.body) && isMultipartForm(contentType)) {
        model = await readMultipartField(request.body, contentType, 'model');
        if (model !== null) exchange.model = model;
      }
      const route = this.routes.resolve(exchange.key, model ?? '', spec.provider);
      const modelBound = model !== null || runsModel;
      await this.pipeline.admit(exchange, route, { modelBound, generates: GENERATING_PATHS.test(spec.upstreamPath), billing });
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
        let upstreamBody = body;
        // OpenAI-style streams are asked for usage, so they can be priced; the client's choice is kept.
        if (adapter && body.stream === true && GENERATING_PATHS.test(spec.upstreamPath)) {
          const prepared = toOpenAIChatBody(body, adapter.takesStreamOptions(context, search));
          upstreamBody = prepared.body;
          keepUsageChunks = prepared.clientWantsUsage;
        }
        outgoing = JSON.stringify(upstreamBody);
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
      if (this.pipeline.isStream(upstream)) {
        const translator: ChatStreamTranslator = spec.dialect === 'anthropic' ? new AnthropicNativeStreamObserver() : new OpenAIStreamPassthrough(keepUsageChunks);
        return this.pipeline.relayStream(exchange, upstream, translator);
      }
      if (!isJson(upstream) && upstream.statusCode < 400) return this.relayBinary(exchange, upstream);
      const raw = await this.pipeline.readBody(upstream);
      if (upstream.statusCode >= 400) return this.relayError(exchange, spec, route, upstream, raw);
      this.pipeline.respond(exchange, upstream, spec.dialect === 'anthropic' ? readAnthropicResponse(raw) : readOpenAIResponse(raw));
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
    void reply.status(upstream.statusCode).headers(headers).send(upstream.body);
    // A premature close rejects; the exchange then reads as one whose client left.
    await finished(reply.raw).catch(() => undefined);
  }

  private relayError(exchange: Exchange, spec: PassthroughSpec, route: ResolvedRoute, upstream: UpstreamResponse, raw: Buffer): void {
    const adapter = this.pipeline.adapterFor(route);
    const mapped = adapter.toProviderError(upstream.statusCode, raw, upstream.headers);
    if (spec.dialect !== 'anthropic') return this.pipeline.respondError(exchange, mapped);
    // The client speaks Anthropic: its errors are relayed as they are (a 529 stays a 529, which
    // Anthropic's SDK knows as OverloadedError and retries). Only a refused stored credential
    // (a 4xx the gateway answers as 502) gets a gateway-written body, in Anthropic's shape too.
    // Something that is not Anthropic's error body (an HTML page from a proxy in front of it) is
    // wrapped in that shape as well, so the SDK still reads a message.
    const credentialFailure = mapped.status >= 500 && upstream.statusCode < 500;
    const status = credentialFailure ? mapped.status : upstream.statusCode;
    const body = credentialFailure || parseAnthropicError(raw) === null ? toAnthropicErrorBody(status, mapped.body.error.message) : raw;
    this.pipeline.respondError(exchange, { status, body, retryAfter: mapped.retryAfter, code: mapped.body.error.code ?? `upstream_${upstream.statusCode}` });
  }
}

/**
 * The relayed path must stay below the provider's base URL: a segment that decodes to "." or
 * ".." (or hides a slash) would let a client walk out of a base such as
 * https://proxy.corp/tenant-a/v1 into another tenant's path, with this tenant's credential.
 */
function assertContainedPath(path: string): void {
  for (const segment of path.split('/')) {
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

function isJson(upstream: UpstreamResponse): boolean {
  const type = upstream.headers['content-type'];
  return typeof type !== 'string' || type.includes('json');
}
