import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ENV, Env, GatewayError, GatewayErrorCode, LOGGER, KeyedLogThrottle, Logger, accessLogger, firstHeader, providerLabel } from '@tollgate/common';
import { UserRecord } from '@tollgate/config-cache';
import { rateLimitHeaders } from '@tollgate/limits';
import {
  AdapterContext,
  AnsweredOperation,
  ChatStreamTranslator,
  ProviderAdapter,
  ProviderDefaults,
  ProviderError,
  TranslatedResponse,
  UpstreamCall,
  UpstreamAbort,
  UpstreamClient,
  UpstreamResponse,
  errorAnswerStatus,
  getProviderAdapter,
  isRetryable,
  redactSecrets,
  redactText,
  secretForms,
} from '@tollgate/providers';
import { EVENT_SINK, EventSink } from '@tollgate/queue';
import { FastifyReply, FastifyRequest } from 'fastify';
import { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { pathOf } from '../http/send-error';
import { CLIENT_CLOSED_REQUEST, GatewayMetrics, httpCompletion } from '../metrics/gateway-metrics';
import { AccessPolicy } from './access-policy';
import { AdmissionService } from './admission.service';
import { Exchange } from './exchange';
import { ResolvedRoute } from './route-resolver';
import { relaySse } from './sse-relay';
import { ExchangesInFlight } from '../runtime/exchanges-in-flight';
import { isEventStream, isJsonOrUntyped, readWholeBody, relayedErrorHeaders, relayedHeaders, unreadErrorHeaders } from './upstream-response';

/**
 * The stages every proxied request shares, whatever its route: access and limits before the
 * upstream call, the call itself (aborted if the client leaves), the relay of the answer, and
 * one event afterwards. Events are published after the response is written, so recording
 * never delays the client.
 */
@Injectable()
export class ProxyPipeline implements OnApplicationShutdown {
  private readonly client: UpstreamClient;
  private readonly logger: Logger;
  private readonly accessLog: Logger;
  /** Per provider setting (bounded by the settings that exist): an outage is a line per interval. */
  private readonly upstreamFailureLogs = new KeyedLogThrottle();
  readonly defaults: ProviderDefaults;
  private readonly maxResponseBytes: number;

  constructor(
    private readonly access: AccessPolicy,
    private readonly admission: AdmissionService,
    @Inject(EVENT_SINK) private readonly events: EventSink,
    private readonly inFlight: ExchangesInFlight,
    private readonly metrics: GatewayMetrics,
    @Inject(ENV) env: Env,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.client = new UpstreamClient({
      connectMs: env.upstreamConnectTimeoutMs,
      firstByteMs: env.upstreamFirstByteTimeoutMs,
      totalMs: env.upstreamTotalTimeoutMs,
    });
    this.maxResponseBytes = env.upstreamMaxResponseBytes;
    this.logger = logger.child({ context: 'Proxy' });
    this.accessLog = accessLogger(logger);
    this.defaults = {
      openaiBaseUrl: env.openaiBaseUrl,
      deepinfraBaseUrl: env.deepinfraBaseUrl,
      anthropicBaseUrl: env.anthropicBaseUrl,
      geminiBaseUrl: env.geminiBaseUrl,
      anthropicDefaultMaxTokens: env.anthropicDefaultMaxTokens,
      anthropicVersion: env.anthropicVersion,
      azureApiVersion: env.azureApiVersion,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  /** Runs one exchange to its end: the work, the error reply if it fails, and exactly one event. */
  async run(exchange: Exchange, work: () => Promise<void>): Promise<void> {
    this.inFlight.begin();
    try {
      await work();
    } catch (thrown) {
      exchange.fail(thrown, this.logger);
    } finally {
      this.publishEvent(exchange);
      this.inFlight.end();
      const provider = providerLabel(exchange.provider, exchange.settingId);
      exchange.call.request.proxyOutcome = { provider, errorCode: exchange.errorCode };
      this.warnOfUpstreamFailure(exchange, provider);
      this.metrics.observeExchange({
        provider,
        status: exchange.status,
        stream: exchange.stream,
        clientLeft: exchange.clientLeft,
        // Its 200 went out with the first event; a failure after it is told in the stream (an error frame).
        streamFailed: exchange.hijacked && exchange.status < 400 && exchange.errorCode !== null && !exchange.clientLeft,
        seconds: exchange.latencyMs / 1000,
      });
      this.logAccessIfFastifyWillNot(exchange);
    }
  }

  /**
   * A provider that cannot be reached, times out, refuses the stored credential or whose account
   * is out of credit needs an operator, not the client: a warning naming it and its setting, once
   * per interval per setting while it lasts.
   */
  private warnOfUpstreamFailure(exchange: Exchange, provider: string): void {
    const code = exchange.errorCode;
    const needsOperator = UPSTREAM_FAILURES.has(code ?? '') || exchange.accountOutOfCredit || exchange.errorDetail !== null;
    if (exchange.clientGone || !needsOperator) return;
    const setting = exchange.settingId ?? provider;
    this.upstreamFailureLogs.note(setting, (occurrences) => {
      // Transport messages name addresses, not credentials; a key in an upstream URL's query
      // (Gemini's) is kept out all the same.
      const detail = exchange.errorDetail === null ? undefined : redactText(exchange.errorDetail, secretForms(credentialValues(exchange)));
      this.logger.warn({ reqId: exchange.call.request.id, provider, settingId: exchange.settingId, code, detail, status: exchange.status, occurrences }, 'upstream provider failing');
    });
  }

  /**
   * The event of an authenticated request refused before its route ran (see configureFastify):
   * no provider, no model, the refusal's status and code.
   */
  recordRefusal(request: FastifyRequest, reply: FastifyReply, error: GatewayError): void {
    const exchange = new Exchange({ request, reply }, null);
    exchange.provider = 'gateway';
    exchange.status = error.status;
    exchange.errorCode = error.code;
    request.proxyOutcome = { provider: exchange.provider, errorCode: exchange.errorCode };
    this.publishEvent(exchange);
    // An event like any other, so counted like any other: the proxy metrics are one per event.
    this.metrics.observeExchange({
      provider: providerLabel(exchange.provider, exchange.settingId),
      status: exchange.status,
      stream: false,
      clientLeft: exchange.clientLeft,
      streamFailed: false,
      seconds: exchange.latencyMs / 1000,
    });
  }

  /** The exchange's event; one that cannot be built is an error in the log, never a silent gap. */
  private publishEvent(exchange: Exchange): void {
    try {
      this.events.publish(exchange.toEvent());
    } catch (error) {
      this.logger.error({ err: error, reqId: exchange.call.request.id }, 'the request event could not be built: it is not recorded');
    }
  }

  /**
   * Fastify writes the access line when a response finishes. A relayed stream bypasses Fastify,
   * and a response to a client that already left never finishes: those lines are written here
   * (once: the request is marked, and the onResponse hook skips marked requests), and counted
   * in the HTTP metrics likewise.
   */
  private logAccessIfFastifyWillNot(exchange: Exchange): void {
    const { request, reply } = exchange.call;
    const clientLeft = exchange.clientLeft;
    if (!exchange.hijacked && !clientLeft) return;
    request.accessLogged = true;
    this.metrics.observeHttp(httpCompletion(request, clientLeft ? CLIENT_CLOSED_REQUEST : exchange.status, reply.elapsedTime));
    this.accessLog.info(
      {
        reqId: request.id,
        method: request.method,
        // The route's pattern, as Fastify's own lines have it (ids stay out of the path).
        path: request.routeOptions.url ?? pathOf(request.url),
        // As the metrics count it: the client's own timeout is no 5xx of the gateway's.
        status: clientLeft ? CLIENT_CLOSED_REQUEST : exchange.status,
        ms: Math.round(exchange.latencyMs),
        stream: exchange.hijacked || undefined,
        provider: request.proxyOutcome?.provider,
        error: exchange.clientGone ? 'client_disconnected' : (exchange.errorCode ?? undefined),
      },
      'request completed',
    );
  }

  /**
   * Records the route on the exchange, then checks access and admits against limits. Without
   * a route (listing models) only paths, the user and rate limits apply. Returns the user the
   * request named, when it is a registered one.
   */
  async admit(
    exchange: Exchange,
    route: ResolvedRoute | null,
    options: {
      modelBound: boolean;
      generates: boolean;
      /** What the worst-case cost counts, when not the body. */
      costedBody?: Record<string, unknown>;
      billing?: 'tokens' | 'free' | 'unpriced';
      /** Whether the request may write Anthropic's one-hour cache (see AdmissionRequest). */
      hourLongCacheWrites?: () => boolean;
    },
  ): Promise<UserRecord | null> {
    if (route) {
      exchange.provider = route.provider;
      exchange.settingId = route.setting.id;
      exchange.sentCredentials = route.setting.credentials;
      if (options.modelBound) {
        exchange.model = route.model;
        exchange.requestedModel = route.model;
      }
    }
    const { request, reply } = exchange.call;
    const checkedRoute = options.modelBound ? route : null;
    const user = this.access.check({ key: exchange.key, method: request.method, path: request.url, userId: exchange.userId, route: checkedRoute });
    const admission = await this.admission.admit({
      requestId: request.id,
      key: exchange.key,
      user,
      route: checkedRoute,
      body: options.costedBody ?? exchange.body ?? {},
      generates: options.generates,
      billing: options.billing,
      hourLongCacheWrites: options.hourLongCacheWrites,
    });
    if (admission) {
      exchange.reservationMember = admission.reservationMember;
      if (admission.rate) reply.headers(rateLimitHeaders(admission.rate));
    }
    return user;
  }

  adapterFor(route: ResolvedRoute): ProviderAdapter {
    const adapter = getProviderAdapter(route.provider);
    if (!adapter) throw new GatewayError(GatewayErrorCode.InvalidRequest, `Provider ${route.provider} is not available on this path.`, 'model');
    return adapter;
  }

  context(exchange: Exchange, route: ResolvedRoute): AdapterContext {
    return { setting: route.setting, defaults: this.defaults, clientHeaders: exchange.call.request.headers };
  }

  /**
   * Calls the upstream; the client going away aborts the call, so nobody pays for an unread
   * answer. `totalMs`: a tighter cap than UPSTREAM_TOTAL_TIMEOUT_MS (a timeout error after it).
   */
  async send(
    exchange: Exchange,
    call: UpstreamCall | (Omit<UpstreamCall, 'body' | 'method'> & { method: string; body?: string | Buffer }),
    totalMs?: number,
  ): Promise<UpstreamResponse> {
    const { reply } = exchange.call;
    // A client that left during admission is not worth an upstream call.
    if (reply.raw.destroyed) throw clientGone(exchange);
    const abort = new UpstreamAbort();
    const callOver = exchange.abortWhenClientLeaves(abort);
    try {
      // From the moment the request goes out, the provider may bill its prompt (see mayHaveBeenBilled).
      const upstream = await this.client.send({ ...call, abort, totalMs, onSent: () => (exchange.requestSent = true) });
      upstream.body.once('close', callOver);
      exchange.status = upstream.statusCode;
      exchange.upstreamStatus = upstream.statusCode;
      if (upstream.statusCode >= 300 && upstream.statusCode < 400) {
        // Redirects are never followed (the configured URL is the only place the credential
        // goes), so the client gets no answer from it: a bodiless 3xx was relayed, and billed.
        // Every retry would meet the same redirect until an admin fixes the setting: SDKs are
        // told not to retry the 502.
        void upstream.body.dump().catch(() => undefined);
        throw new GatewayError(
          GatewayErrorCode.UpstreamUnreachable,
          `The upstream provider answered with a redirect (HTTP ${upstream.statusCode}), which the gateway does not follow: check the provider setting's url.`,
          null,
          { 'x-should-retry': 'false' },
        );
      }
      return upstream;
    } catch (error) {
      callOver();
      // The client's timeout aborts the same handle; that one stays a 504.
      const timedOut = error instanceof GatewayError && error.code === GatewayErrorCode.UpstreamTimeout;
      throw abort.aborted && !timedOut ? clientGone(exchange) : error;
    }
  }

  /** Relays an SSE answer through the translator, writing the headers set so far with it. */
  async relayStream(exchange: Exchange, upstream: UpstreamResponse, translator: ChatStreamTranslator): Promise<void> {
    const { request, reply } = exchange.call;
    exchange.stream = true;
    reply.hijack();
    exchange.hijacked = true;
    // Fastify still runs onResponse when the hijacked response ends: the pipeline writes the line.
    request.accessLogged = true;
    const headers = {
      ...(reply.getHeaders() as Record<string, string>),
      ...relayedHeaders(upstream.headers),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    };
    // Set, not written: the headers leave with the first event when it is already here (one
    // write and one wake-up of the client, as when the upstream sent them together), else on
    // their own straight after, so a model that thinks before its first token does not leave the
    // client without a response.
    reply.raw.statusCode = 200;
    for (const [name, value] of Object.entries(headers)) reply.raw.setHeader(name, value);
    setImmediate(() => {
      if (!reply.raw.headersSent && !reply.raw.destroyed) reply.raw.flushHeaders();
    });
    const result = await relaySse(upstream.body as unknown as Readable, reply.raw, translator, {
      keepTranscript: exchange.key.shouldLogResponse,
      errorStyle: exchange.errorStyle,
      // An error frame may quote the credential, as an error body may.
      secrets: credentialValues(exchange),
    });
    exchange.usage = translator.usage;
    exchange.usageFinal = translator.usageFinal !== false;
    exchange.model = translator.model ?? exchange.model;
    // Only needed (and, for some translators, only computed) when the provider sent no usage.
    if (translator.usage === null || !exchange.usageFinal) exchange.completionText = translator.completionText;
    if (result.transcript !== null) exchange.logResponse(result.transcript);
    if (result.error) {
      exchange.errorCode = result.error.code;
      exchange.errorDetail = result.error.logDetail;
    } else if (translator.errorCode) exchange.errorCode = translator.errorCode;
    else if (result.clientDisconnected) exchange.errorCode = 'client_disconnected';
  }

  /** Sends a translated (or relayed) answer and records its usage. */
  respond(exchange: Exchange, upstream: UpstreamResponse, translated: TranslatedResponse): void {
    exchange.usage = translated.usage;
    exchange.model = translated.model ?? exchange.model;
    if (translated.usage === null) exchange.completionText = translated.completionText;
    const payload = Buffer.isBuffer(translated.body) ? translated.body : Buffer.from(JSON.stringify(translated.body));
    exchange.logResponse(payload);
    void exchange.call.reply
      .status(upstream.statusCode)
      .headers(relayedHeaders(upstream.headers))
      .header('content-type', Buffer.isBuffer(translated.body) ? (firstHeader(upstream.headers['content-type']) ?? 'application/json') : 'application/json')
      .send(payload);
  }

  /**
   * Sends a provider error in the client's terms. Its body comes from readBody, which took the
   * provider credential out: a server that quotes the key it refused, or echoes request headers,
   * must not hand it to the client.
   */
  respondError(exchange: Exchange, providerError: ProviderError | RelayedProviderError, upstreamHeaders: IncomingHttpHeaders): void {
    exchange.status = providerError.status;
    recordUpstreamError(exchange, providerError);
    const reply = exchange.call.reply.status(providerError.status).header('content-type', 'application/json');
    if (providerError.retryAfter) reply.header('retry-after', providerError.retryAfter);
    // Bodies relayed unread (a custom provider's) are retryable as their status and headers say.
    const retryable = providerError.retryable ?? isRetryable(providerError.status, upstreamHeaders);
    reply.headers(relayedErrorHeaders(upstreamHeaders, { status: providerError.status, retryable, retryAfter: providerError.retryAfter }));
    // Built from a body readBody already took the credential out of.
    const payload = Buffer.isBuffer(providerError.body) ? providerError.body : JSON.stringify(providerError.body);
    exchange.logResponse(payload);
    void reply.send(payload);
  }

  /**
   * Reads a whole upstream body (bounded by the client timeouts and UPSTREAM_MAX_RESPONSE_BYTES).
   * An error body loses the credential the request was sent with before anything reads it: error
   * mappers cut long texts, and a cut credential would no longer be found.
   */
  async readBody(upstream: UpstreamResponse, exchange: Exchange): Promise<Buffer> {
    const failed = upstream.statusCode >= 400;
    // An error too large to read still carries the upstream's retry advice, which the 502 keeps.
    const body = await readWholeBody(upstream, this.maxResponseBytes, failed ? unreadErrorHeaders(upstream.headers, upstream.statusCode) : {});
    return failed ? redactSecrets(body, credentialValues(exchange)) : body;
  }

  /**
   * Reads a whole answer (see readBody) and says whether it is an error, with its status: a 4xx
   * or 5xx, or a 2xx whose body is an error (see errorAnswerStatus), which loses the credential
   * as any error body does.
   */
  async readAnswer(upstream: UpstreamResponse, exchange: Exchange, operation: AnsweredOperation): Promise<{ raw: Buffer; errorStatus: number | null }> {
    const raw = await this.readBody(upstream, exchange);
    if (upstream.statusCode >= 400) return { raw, errorStatus: upstream.statusCode };
    const errorStatus = errorAnswerStatus(raw, operation);
    return { raw: errorStatus === null ? raw : redactSecrets(raw, credentialValues(exchange)), errorStatus };
  }

  /**
   * Records, for a 2xx whose body is an error and that was relayed as it came (a native path:
   * see PassthroughService), what respondError records of an error it answers: its code, that it
   * bills nothing, and what the operator must hear of. Its status stays the one the client got.
   */
  recordRelayedErrorAnswer(exchange: Exchange, providerError: ProviderError): void {
    recordUpstreamError(exchange, providerError);
  }

  /**
   * Whether a successful answer is relayed as an SSE stream: it says so, or the client asked for
   * a stream and it is not JSON. A proxy in front of a provider may relabel a stream (text/plain,
   * octet-stream); relayed as bytes, its usage went unread and its output unbilled.
   */
  isStream(upstream: UpstreamResponse, streamAsked = false): boolean {
    if (upstream.statusCode !== 200) return false;
    return isEventStream(upstream.headers) || (streamAsked && !isJsonOrUntyped(upstream.headers));
  }
}

/** An upstream error relayed with a body of the gateway's choosing (see PassthroughService.relayError) or the upstream's own. */
interface RelayedProviderError {
  status: number;
  body: unknown;
  retryAfter: string | null;
  code: string;
  retryable?: boolean;
  logDetail?: string | null;
  accountOutOfCredit?: boolean;
}

/** What the event and the operator's log keep of an error the upstream answered. */
function recordUpstreamError(exchange: Exchange, providerError: ProviderError | RelayedProviderError): void {
  exchange.answeredWithError = true;
  exchange.accountOutOfCredit = providerError.accountOutOfCredit === true;
  // A body that was not the provider's own (a proxy's page): the operator's to read, in a warning.
  exchange.errorDetail = providerError.logDetail ?? null;
  const body = providerError.body as { error?: { code?: unknown; type?: unknown } };
  exchange.errorCode =
    'code' in providerError ? providerError.code : typeof body.error?.code === 'string' ? body.error.code : typeof body.error?.type === 'string' ? body.error.type : `upstream_${providerError.status}`;
}

/** Failures of the provider or its setting, as opposed to the client's. */
const UPSTREAM_FAILURES = new Set<string>([GatewayErrorCode.UpstreamUnreachable, GatewayErrorCode.UpstreamTimeout, GatewayErrorCode.UpstreamAuth]);

function credentialValues(exchange: Exchange): string[] {
  return exchange.sentCredentials ? Object.values(exchange.sentCredentials) : [];
}

/**
 * The client went away before the answer began. Once the request was sent the provider may
 * already have read (and billed) the prompt, so the event is marked and, if it was sent
 * (exchange.requestSent), its prompt tokens are estimated and charged.
 */
function clientGone(exchange: Exchange): GatewayError {
  exchange.clientGone = true;
  return new GatewayError(GatewayErrorCode.UpstreamUnreachable, 'The client closed the connection before the answer began.');
}
