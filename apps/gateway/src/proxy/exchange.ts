import { GatewayError, GatewayErrorCode, KeyedLogThrottle, Logger, firstHeader } from '@tollgate/common';
import { KeyRecord } from '@tollgate/config-cache';
import { TokenUsage, UpstreamAbort, toUpstreamError } from '@tollgate/providers';
import { RequestEventData } from '@tollgate/queue';
import { countedPartOf, promptEstimationInputOf } from '@tollgate/reporting';
import { FastifyReply, FastifyRequest } from 'fastify';
import { pathOf } from '../http/send-error';
import { ErrorStyle, errorStyleOf, toProxyErrorBody } from './error-style';

export interface ProxyCall {
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * A provider (or a proxy in front of it) that answers in a shape the gateway cannot read does so
 * for every request: one warning per interval and provider setting, not one with a stack per request.
 */
const unreadableAnswerLogs = new KeyedLogThrottle();

/** The most of a request or response body an event keeps. */
export const MAX_LOGGED_BODY_CHARS = 1_000_000;

/**
 * One proxied request from admission to its event: what it was, what came of it, and the
 * error reply when it failed. Every path through the proxy ends in exactly one event.
 */
export class Exchange {
  readonly startedAt = Date.now();
  private readonly started = performance.now();
  readonly key: KeyRecord;
  readonly errorStyle: ErrorStyle;

  provider = '';
  /** The model as routed (prefix removed); replaced by the model the provider says answered. */
  model: string;
  /** The model as routed, kept for pricing when the answering model has no price. */
  requestedModel: string | null = null;
  settingId: string | null = null;
  status = 500;
  usage: TokenUsage | null = null;
  /** False when `usage` lacks the final output count (a stream cut before it): output is then counted. */
  usageFinal = true;
  /** Generated text, for token estimation when the provider reports no usage. */
  completionText: string | null = null;
  /** The prompt text to count when usage is missing, when it is not in OpenAI's body fields (custom providers). */
  promptText: string | null = null;
  /** Whether token usage is billed for this operation (and so estimated when unreported). */
  tokenBilled = false;
  errorCode: string | null = null;
  /** What the operator's log says of the failure beyond its code (GatewayError.logDetail); never the client. */
  errorDetail: string | null = null;
  response: string | null = null;
  stream = false;
  reservationMember: string | null = null;
  /** The client left before the answer began (its prompt may still be billed). */
  clientGone = false;
  /**
   * The request started going out on a connection to the upstream (UpstreamRequest.onSent): from
   * then on the provider may read (and bill) the prompt, whatever happens next. Not before: a name
   * that did not resolve or a refused connection sent nothing. (A kept-alive connection the
   * upstream closed just as the request was written counts as sent: a rare over-count, where the
   * other way budgets would miss what providers do bill.)
   *
   * One exchange makes one billed upstream call: the gateway has no retry or fallback layer (a
   * client's SDK retrying a 502 or 504 sends a new request, its own exchange and event, billed by
   * the same rule). A retry layer added here would have to record each attempt that was sent, as
   * the provider may have billed every one of them, not only the last.
   */
  requestSent = false;
  /**
   * The upstream's own status once its response headers arrived (null before): what fails after
   * that is reading its answer. Kept when such a failure replaces `status`.
   */
  upstreamStatus: number | null = null;
  /** The upstream's answer broke off while relayed: the response ended early because of it, not the client. */
  upstreamBrokeOff = false;
  /**
   * The upstream answered with an error: a 4xx or 5xx, or a 2xx whose body is an error (see
   * errorAnswerStatus). It generated nothing and bills nothing, whatever status it came with.
   */
  answeredWithError = false;
  /** The error says the provider account is out of credit: only an admin can fix it (the operator is warned). */
  accountOutOfCredit = false;
  /** Upstream calls in flight, aborted if the client leaves (null until the first call). */
  private upstreamCalls: Set<UpstreamAbort> | null = null;
  /** Billed by something other than tokens (audio, images): without usage, its cost is unknown. */
  billedOtherwise = false;
  /**
   * Whether the answer's usage is this request's to pay: not when it reads back a stored object
   * (a response, a chat completion, a run), whose usage was billed when it was made.
   */
  usageBilled = true;
  /**
   * The provider credential the request goes upstream with (the route's setting, as it was when
   * the request was admitted): kept out of whatever the upstream answers reaches the client.
   * Never part of the event.
   */
  sentCredentials: Readonly<Record<string, string>> | null = null;
  /** The SSE relay wrote the response itself (Fastify's reply was hijacked; the pipeline logs the line). */
  hijacked = false;
  readonly userId: string | null;

  constructor(
    readonly call: ProxyCall,
    /** The JSON body, when the request had one (an object). */
    readonly body: Record<string, unknown> | null,
    /** What is stored when the key logs requests; the body unless the route takes other JSON. */
    private readonly loggedBody: unknown = body ?? undefined,
  ) {
    this.key = call.request.gatewayKey!;
    this.errorStyle = errorStyleOf(call.request.url);
    this.model = typeof body?.model === 'string' ? body.model : '';
    this.userId = userIdOf(call.request.headers, body);
  }

  get latencyMs(): number {
    return performance.now() - this.started;
  }

  /** The client left before the answer ended: before it began, mid-stream, or mid-body. */
  get clientLeft(): boolean {
    const raw = this.call.reply.raw;
    if (this.upstreamBrokeOff) return false;
    return this.clientGone || this.errorCode === 'client_disconnected' || (raw.destroyed && !raw.writableFinished);
  }

  /**
   * Has `abort` aborted if the client leaves before the response is finished; returns the call's
   * end, after which it is not. One listener on the response however many upstream calls the
   * exchange makes: a model list calls every setting of a key at once, and a listener each
   * passed Node's limit (a MaxListenersExceededWarning per request).
   */
  abortWhenClientLeaves(abort: UpstreamAbort): () => void {
    if (this.upstreamCalls === null) {
      const calls = new Set<UpstreamAbort>();
      this.upstreamCalls = calls;
      const raw = this.call.reply.raw;
      raw.once('close', () => {
        if (!raw.writableFinished) for (const call of calls) call.abort();
      });
    }
    const calls = this.upstreamCalls;
    calls.add(abort);
    return () => void calls.delete(abort);
  }

  /** Answers a failure in the path's error style, unless the response already started. */
  fail(thrown: unknown, logger: Logger): void {
    // The gateway aborts the upstream call when the client leaves; the body read that fails
    // then is the client's leaving, not an upstream failure (and what it used is still billed).
    const ours = thrown instanceof GatewayError;
    if (!ours && this.clientLeft) this.clientGone = true;
    const fault = !ours && isGatewayFault(thrown);
    // Reading an upstream answer of an unexpected shape ({"choices":[null]}) fails the same way
    // as a bug of ours: once the upstream has answered, it is a 502 and a warning, so a
    // misbehaving provider does not page anyone.
    const unreadableAnswer = fault && this.upstreamStatus !== null;
    const error = ours
      ? thrown
      : unreadableAnswer
        ? new GatewayError(GatewayErrorCode.UpstreamUnreachable, "the upstream provider's answer could not be read")
        : fault
          ? new GatewayError(GatewayErrorCode.Internal, 'the gateway failed to handle this request')
          : toUpstreamError(thrown);
    this.status = error.status;
    this.errorCode = error.code;
    this.errorDetail = error.logDetail;
    if (error.code === GatewayErrorCode.Internal) logger.error({ err: thrown, reqId: this.call.request.id }, 'proxy failure');
    else if (unreadableAnswer) unreadableAnswerLogs.note(this.settingId ?? this.provider, (occurrences) => logger.warn({ err: thrown, reqId: this.call.request.id, provider: this.provider, occurrences }, 'upstream answer could not be read'));
    const { reply } = this.call;
    if (!reply.sent && !reply.raw.headersSent) {
      const body = JSON.stringify(toProxyErrorBody(error, this.errorStyle));
      // What the client got is the response a key that logs responses keeps, errors too.
      this.logResponse(body);
      void reply.status(error.status).headers(error.headers).header('content-type', 'application/json').send(body);
    }
  }

  /** Keeps the response for the event when the key logs responses (decoded only then). */
  logResponse(body: Buffer | string): void {
    if (!this.key.shouldLogResponse) return;
    const text = typeof body === 'string' ? body : body.toString('utf8');
    // Postgres text cannot hold NUL, which a non-JSON body or a relayed stream may contain.
    this.response = text.slice(0, MAX_LOGGED_BODY_CHARS).replace(/\u0000/g, '');
  }

  /** The prompt to count when the provider did not: none when its usage gave the prompt's count. */
  private promptEstimationInput(): { prompt: string; promptExtraTokens?: number } {
    if (this.usage !== null) return { prompt: '' };
    if (this.promptText !== null) return { prompt: this.promptText };
    return promptEstimationInputOf(this.body);
  }

  /**
   * The text the worker counts, cut to what it reads (the rest goes as its bound): the event
   * waits in Redis (a week when it fails) and in this process while Redis is away, and held
   * whole prompts and answers, megabytes each, even for keys that log nothing.
   */
  private estimationInput(): NonNullable<RequestEventData['estimationInput']> {
    const { prompt, promptExtraTokens = 0 } = this.promptEstimationInput();
    const countedPrompt = countedPartOf(prompt);
    const countedCompletion = countedPartOf(this.completionText ?? '');
    return {
      prompt: countedPrompt.text,
      promptExtraTokens: promptExtraTokens + countedPrompt.uncountedTokens,
      completion: countedCompletion.text,
      completionExtraTokens: countedCompletion.uncountedTokens,
    };
  }

  /**
   * Whether the provider may have billed this request although its usage is unknown. A success
   * was. Once the request was sent the provider may have read the prompt (and started on the
   * answer) whatever came of it, unless it answered with an error (a 4xx or 5xx is not billed,
   * nor a 2xx whose body is an error, and a 3xx is refused by the gateway): no answer at all (a
   * first-byte or total timeout, the connection dropped, the client gone first) and a 2xx whose
   * answer broke off are counted, so budgets see them. A request refused by the gateway, or that never got a connection to send
   * it on (DNS, a refused or timed-out connect, the outbound policy), cost nothing.
   */
  private get mayHaveBeenBilled(): boolean {
    if (this.answeredWithError) return false;
    if (this.status < 400) return true;
    if (!this.requestSent) return false;
    return this.upstreamStatus === null || this.upstreamStatus < 300;
  }

  toEvent(): RequestEventData {
    const { request } = this.call;
    const requestedModel = this.requestedModel === null ? undefined : clean(this.requestedModel);
    const counted = this.usage === null || !this.usageFinal;
    const estimate = counted && this.tokenBilled && this.mayHaveBeenBilled;
    return {
      id: request.id,
      createdAt: this.startedAt,
      keyId: this.key.keyId,
      tags: this.key.tags,
      settingId: this.settingId,
      provider: this.provider,
      model: clean(this.model),
      requestedModel,
      status: this.status,
      path: clean(pathOf(request.url)),
      method: request.method,
      stream: this.stream,
      latencyMs: this.latencyMs,
      customId: headerValue(request.headers['x-custom-event-id']),
      userId: this.userId,
      errorCode: this.clientGone ? 'client_disconnected' : this.errorCode === null ? null : clean(this.errorCode),
      usage: this.usageBilled ? this.usage : null,
      // With a (non-final) usage, its prompt count stands and only the output is counted.
      estimationInput: estimate ? this.estimationInput() : null,
      request: this.key.shouldLogRequest && this.loggedBody !== undefined ? JSON.stringify(this.loggedBody).slice(0, MAX_LOGGED_BODY_CHARS) : null,
      response: this.response,
      reservationMember: this.reservationMember,
      unpriced: this.billedOtherwise && this.usage === null && this.status < 400 && !this.answeredWithError,
    };
  }
}

/**
 * Errors that talking to an upstream does not raise (a bug, a resource the gateway ran out of
 * such as the call stack, or code reading an answer of an unexpected shape): not a connection
 * failure to report as one.
 */
function isGatewayFault(thrown: unknown): boolean {
  if (thrown instanceof TypeError || thrown instanceof RangeError || thrown instanceof ReferenceError) return true;
  // An Error by shape is not one: the total timeout's reason is a DOMException, an Error only in
  // the realm that made it (a test runner's sandbox, a VM context).
  return !(thrown instanceof Error) && !isNamedError(thrown);
}

function isNamedError(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string' && typeof (value as { message?: unknown }).message === 'string';
}

/**
 * Client-chosen text stored on the event, without control characters: Postgres refuses NUL in
 * text, and one such event must not be able to stall recording for everyone else.
 */
/** Text for the event: without control characters, bounded. Not text (a provider's odd answer) is none. */
function clean(text: unknown): string {
  if (typeof text !== 'string') return '';
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 512);
}

function headerValue(value: string | string[] | undefined): string | null {
  const first = firstHeader(value);
  return first === undefined ? null : idValue(utf8HeaderText(first));
}

/** An id for the event (a user, a custom event id): clean, trimmed, bounded; none when empty. */
function idValue(text: string): string | null {
  const cleaned = clean(text).trim();
  return cleaned === '' ? null : cleaned.slice(0, 256);
}

/**
 * Node reads header bytes as latin1, one character per byte; clients send non-ASCII ids
 * (x-user-id: ünï) as UTF-8, which were recorded garbled ("Ã¼nÃ¯") and matched no user, so a
 * user's limits did not apply. Bytes that are valid UTF-8 are read as UTF-8; others stay latin1.
 */
function utf8HeaderText(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\u0000-\u007f]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const decoded = bytes.toString('utf8');
  return Buffer.from(decoded, 'utf8').equals(bytes) ? decoded : value;
}

/** The request's user: the x-user-id header, else the OpenAI `user` body field. */
function userIdOf(headers: FastifyRequest['headers'], body: Record<string, unknown> | null): string | null {
  return headerValue(headers['x-user-id']) ?? (typeof body?.user === 'string' ? idValue(body.user) : null);
}
