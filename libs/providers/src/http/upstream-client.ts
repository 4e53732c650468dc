import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { IncomingHttpHeaders } from 'node:http';
import { Duplex } from 'node:stream';
import { Agent, Dispatcher, errors, interceptors } from 'undici';
import { OutboundRefusedError, SsrfGuard, processOutboundGuard } from './ssrf-guard';
import { UpstreamAbort } from './upstream-abort';

export interface UpstreamTimeouts {
  connectMs: number;
  /** Time until the response headers arrive. */
  firstByteMs: number;
  /** Cap on the whole exchange, body included. */
  totalMs: number;
}

export interface UpstreamRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /**
   * The caller aborts it when its client goes away, so the upstream call stops too. The client
   * aborts the same handle when the total timeout passes: one handle per call, since linking a
   * second one costs more than the rest of the call's setup.
   */
  abort?: UpstreamAbort;
  /** A tighter cap than the client's total timeout, for calls that must be quick (model lists). */
  totalMs?: number;
  /**
   * Called when the request starts going out on a connection to the upstream: from then on the
   * provider may read (and bill) it. Never called for a call that did not get that far: a name
   * that does not resolve, a refused or timed-out connect, a TLS failure, the outbound policy's
   * refusal, an abort before the connection was ready.
   */
  onSent?: () => void;
}

export type UpstreamResponse = Dispatcher.ResponseData;

/**
 * One pooled keep-alive undici agent for every upstream call. undici reuses sockets per
 * origin, pipelines nothing by default (safe for POST) and streams bodies without buffering.
 *
 * Every connection goes through the SSRF guard's connector (scheme, literal addresses, and each
 * address a name resolves to, checked right before the socket connects to it). Without an
 * explicit guard the process-wide policy applies (UPSTREAM_ALLOWED_HOSTS, set at start).
 */
export class UpstreamClient {
  private readonly agent: Agent;
  /** The agent behind the decoder of compressed answers: what calls go through. */
  private readonly dispatcher: Dispatcher;
  /** Parsed upstream URLs: the proxy calls the same few on every request. */
  private readonly targets = new Map<string, UpstreamTarget>();

  constructor(
    private readonly timeouts: UpstreamTimeouts,
    private readonly guard: SsrfGuard = processOutboundGuard,
  ) {
    this.agent = new Agent({
      connect: guard.connector({ timeoutMs: timeouts.connectMs }),
      headersTimeout: timeouts.firstByteMs,
      // Between body chunks: a stream that stalls this long is dead.
      bodyTimeout: timeouts.totalMs,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      // No cap on connections per origin (undici's default): a stream holds its connection for
      // as long as it lasts, so a cap (it was 256) queued every call past it, silently and with
      // no timeout but the total one, behind streams that could last minutes.
    });
    // The gateway asks for uncompressed answers; a provider or a proxy in front of it that
    // compresses anyway (gzip, deflate, br, zstd) is decoded, else its usage went unread and its
    // bytes reached the client without the header that says how to read them. Error bodies too:
    // their message is relayed. The bound stops a small compressed body from filling the memory.
    // It costs about 1 µs per call.
    this.dispatcher = this.agent.compose(decompressInterceptor(), requestSentInterceptor());
  }

  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    // One plain timer per call: AbortSignal.timeout + AbortSignal.any cost several times more on
    // the hot path. The timer ends with the body, not with the headers.
    const abort = request.abort ?? new UpstreamAbort();
    let timedOut = false;
    const timer = setTimeout(
      () => {
        // A call the caller already aborted (its client left) stays that, not a timeout.
        if (abort.aborted) return;
        timedOut = true;
        abort.abort(new DOMException('upstream total timeout', 'TimeoutError'));
      },
      Math.min(request.totalMs ?? Infinity, this.timeouts.totalMs),
    );
    timer.unref();
    const release = () => clearTimeout(timer);
    try {
      // Refused targets fail here, before a pool exists for them; the connector checks again.
      const target = this.targetOf(request.url);
      const response = await this.dispatcher.request({
        origin: target.origin,
        path: target.path,
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers,
        body: request.body,
        signal: abort,
        [ON_SENT]: request.onSent,
        // Redirects are never followed: the configured URL is the only place we connect to.
        // (undici 7 follows redirects only through its redirect interceptor, which this agent
        // does not use; a non-zero value here would be rejected.)
        maxRedirections: 0,
      } as Dispatcher.RequestOptions);
      response.body.once('close', release);
      const coding = response.headers['content-encoding'];
      if (coding !== undefined && !IDENTITY.test(String(coding))) {
        void response.body.dump().catch(() => undefined);
        // The provider (or what is in front of it) answers so every time: not worth a retry.
        throw new GatewayError(GatewayErrorCode.UpstreamUnreachable, `the upstream provider answered in a content coding the gateway cannot read (${String(coding).slice(0, 64)})`, null, { 'x-should-retry': 'false' });
      }
      return response;
    } catch (error) {
      release();
      throw toUpstreamError(error, timedOut);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * The guard's verdict on a URL, parsed once per distinct URL. The target is checked on every
   * call (the guard remembers what it allowed), so a changed allow-list still applies at once.
   */
  private targetOf(raw: string): UpstreamTarget {
    const known = this.targets.get(raw);
    if (known) {
      const refusal = this.guard.checkTarget(known.protocol, known.hostname);
      if (refusal) throw refusal;
      return known;
    }
    const url = this.guard.checkUrl(raw);
    const target = { protocol: url.protocol, hostname: url.hostname, origin: url.origin, path: `${url.pathname}${url.search}` };
    // Query strings are the client's (native pass-through): not worth remembering. Native paths
    // also carry ids (files, runs), hence the bound.
    if (url.search !== '') return target;
    if (this.targets.size >= MAX_PARSED_TARGETS) this.targets.clear();
    this.targets.set(raw, target);
    return target;
  }
}

interface UpstreamTarget {
  protocol: string;
  hostname: string;
  origin: string;
  path: string;
}

const MAX_PARSED_TARGETS = 1_024;

/** A decoded answer's cap (per coding): far above any JSON answer or stream, far below the memory. */
const MAX_DECODED_BODY_BYTES = 512 * 1024 * 1024;

/**
 * undici's decompress interceptor, without the warning it prints once when first made: undici
 * marks it experimental, which read as an alarm at every start of the gateway and of every test
 * process. The version is pinned, and the e2e tests cover what is relied on (gzip, deflate, br,
 * streams, unknown codings). Only that warning is held back, only while it is made.
 */
function decompressInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).startsWith('DecompressInterceptor is experimental')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return interceptors.decompress({ skipErrorResponses: false, maxSize: MAX_DECODED_BODY_BYTES });
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** Where a call's `onSent` rides in its dispatch options, to the interceptor below. */
const ON_SENT = Symbol('tollgate.onSent');

/**
 * Tells a call's `onSent` when undici starts writing the request: undici calls a handler's
 * onRequestStart once a connection is ready for it (connected, TLS done), right before it writes
 * the request line, headers and body; a call that never gets a connection never reaches it.
 * Only calls that ask for it are wrapped.
 */
function requestSentInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    const onSent = (options as { [ON_SENT]?: () => void })[ON_SENT];
    return dispatch(options, onSent ? new RequestSentHandler(handler, onSent) : handler);
  };
}

/** Forwards everything to the handler it wraps, calling `onSent` first when the request starts out. */
class RequestSentHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly onSent: () => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.onSent();
    this.handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.handler.onResponseError?.(controller, error);
  }
}

/** What is left of Content-Encoding once the decoder has read the codings it knows: nothing, or identity. */
const IDENTITY = /^\s*identity\s*$/i;

/** Maps a transport failure to the gateway's error: timeouts are 504, the rest 502. */
export function toUpstreamError(error: unknown, totalTimedOut = false): GatewayError {
  if (error instanceof GatewayError) return error;
  const refusal = error instanceof OutboundRefusedError ? error : error instanceof Error && error.cause instanceof OutboundRefusedError ? error.cause : null;
  if (refusal) {
    // The policy refuses the same address every time, until an admin changes the setting or the policy.
    return new GatewayError(GatewayErrorCode.UpstreamUnreachable, "the gateway's outbound policy refused the upstream address (the gateway's log says which, and why)", null, { 'x-should-retry': 'false' }).withLogDetail(
      `the outbound policy refused the upstream address: ${refusal.message}`,
    );
  }
  if (
    totalTimedOut ||
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError ||
    // The total timeout's reason: a DOMException, which is an Error only in the realm that made it.
    (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TimeoutError')
  ) {
    return new GatewayError(GatewayErrorCode.UpstreamTimeout, 'the upstream provider did not answer in time');
  }
  // By shape, not instanceof: errors of another realm (a VM context, a test runner's) are errors too.
  const cause = isErrorLike(error) && isErrorLike(error.cause) ? error.cause : error;
  // The kind of failure (ECONNREFUSED, ENOTFOUND, a TLS certificate code, undici's own), not its
  // message: that names the address, and the upstream's address is the operator's, not the
  // client's (an in-house proxy, a private model server). The log has it whole. Without a code
  // it is no transport failure: the answer came, and could not be read.
  const kind = errorCodeOf(cause) ?? errorCodeOf(error);
  const message = kind ? `could not reach the upstream provider (${kind})` : "the upstream provider's answer could not be read";
  return new GatewayError(GatewayErrorCode.UpstreamUnreachable, message).withLogDetail(messageOf(cause));
}

function isErrorLike(value: unknown): value is { message: string; cause?: unknown } {
  return value !== null && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string';
}

/**
 * An error's message; a connection that tried several addresses (a name with several A/AAAA
 * records) fails with an AggregateError whose own message is empty: its errors' messages then.
 */
function messageOf(error: unknown): string {
  if (!isErrorLike(error)) return String(error);
  const errors = (error as { errors?: unknown }).errors;
  if (error.message === '' && Array.isArray(errors) && errors.length > 0) return errors.map(messageOf).join('; ');
  return error.message;
}

function errorCodeOf(error: unknown): string | null {
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code) ? code : null;
}
