import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ENV, Env, GatewayError, GatewayErrorCode, LOGGER, Logger, toOpenAIErrorBody } from '@tollgate/common';
import { KeyRecord } from '@tollgate/config-cache';
import { rateLimitHeaders } from '@tollgate/limits';
import { ProviderId } from '@tollgate/provider-settings';
import {
  OpenAIStreamObserver,
  TokenUsage,
  UpstreamClient,
  fromOpenAIUsage,
  toOpenAIChatBody,
  toOpenAIHeaders,
  toOpenAIUrl,
  toUpstreamError,
} from '@tollgate/providers';
import { EVENT_SINK, EventSink, RequestEventData } from '@tollgate/queue';
import { promptTextOf } from '@tollgate/reporting';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { pathOf } from '../http/send-error';
import { AccessPolicy } from './access-policy';
import { AdmissionService } from './admission.service';
import { ProxyOperation, validateProxyBody } from './proxy-body';
import { ResolvedRoute, RouteResolver } from './route-resolver';
import { relaySse } from './sse-relay';
import { isEventStream, relayedHeaders, toClientErrorBody } from './upstream-response';

export interface ProxyCall {
  request: FastifyRequest;
  reply: FastifyReply;
  operation: ProxyOperation;
  /** Path below the provider's base URL, e.g. "/chat/completions". */
  upstreamPath: string;
  /** Model named in the path (GET /models/:model). */
  pathModel?: string;
}

/** What the request produced, for its event. */
interface Outcome {
  status: number;
  model: string;
  usage: TokenUsage | null;
  completionText: string | null;
  errorCode: string | null;
  response: string | null;
  stream: boolean;
  settingId: string | null;
  userId: string | null;
  reservationMember: string | null;
  /** The SSE relay wrote the response itself, so Fastify's access log never sees it. */
  hijacked: boolean;
}

const MAX_LOGGED_BODY_CHARS = 1_000_000;

/**
 * The proxy pipeline after authentication: pick the credential, call the upstream, relay the
 * answer (JSON or SSE), then hand one event to the sink. The event is published after the
 * response is written, so recording never delays the client.
 */
@Injectable()
export class ProxyService implements OnApplicationShutdown {
  private readonly client: UpstreamClient;
  private readonly logger: Logger;

  constructor(
    private readonly routes: RouteResolver,
    private readonly access: AccessPolicy,
    private readonly admission: AdmissionService,
    @Inject(EVENT_SINK) private readonly events: EventSink,
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.client = new UpstreamClient({
      connectMs: env.upstreamConnectTimeoutMs,
      firstByteMs: env.upstreamFirstByteTimeoutMs,
      totalMs: env.upstreamTotalTimeoutMs,
    });
    this.logger = logger.child({ context: 'Proxy' });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  async handle(call: ProxyCall): Promise<void> {
    const startedAt = Date.now();
    const started = performance.now();
    const key = call.request.gatewayKey!;
    const body = call.request.body as Record<string, unknown> | undefined;
    const outcome: Outcome = {
      status: 500,
      model: typeof body?.model === 'string' ? body.model : (call.pathModel ?? ''),
      usage: null,
      completionText: null,
      errorCode: null,
      response: null,
      stream: false,
      settingId: null,
      userId: userIdOf(call.request.headers, body),
      reservationMember: null,
      hijacked: false,
    };
    try {
      const validBody = validateProxyBody(call.operation, body);
      const route = this.routes.resolve(key, ProviderId.OpenAI, outcome.model);
      outcome.settingId = route.setting.id;
      const user = this.access.check({ key, method: call.request.method, path: call.request.url, userId: outcome.userId, route: isModelBound(call.operation) ? route : null });
      const admission = await this.admission.admit({
        requestId: call.request.id,
        key,
        user,
        route: isModelBound(call.operation) ? route : null,
        body: validBody,
        generates: call.operation === ProxyOperation.ChatCompletions,
      });
      if (admission) {
        outcome.reservationMember = admission.reservationMember;
        if (admission.rate) call.reply.headers(rateLimitHeaders(admission.rate));
      }
      await this.forward(call, key, route, validBody, outcome);
    } catch (thrown) {
      const error = toUpstreamError(thrown);
      outcome.status = error.status;
      outcome.errorCode = error.code;
      if (error.code === GatewayErrorCode.Internal) this.logger.error({ err: thrown, reqId: call.request.id }, 'proxy failure');
      if (!call.reply.sent) {
        void call.reply.status(error.status).headers(error.headers).header('content-type', 'application/json').send(toOpenAIErrorBody(error));
      }
    } finally {
      const latencyMs = performance.now() - started;
      this.events.publish(this.toEvent(call, key, body, outcome, startedAt, latencyMs));
      if (outcome.hijacked) {
        this.logger.info(
          { reqId: call.request.id, method: call.request.method, path: pathOf(call.request.url), status: outcome.status, ms: Math.round(latencyMs), stream: true, error: outcome.errorCode ?? undefined },
          'request completed',
        );
      }
    }
  }

  private async forward(
    call: ProxyCall,
    key: KeyRecord,
    route: ResolvedRoute,
    body: Record<string, unknown>,
    outcome: Outcome,
  ): Promise<void> {
    const { request, reply } = call;
    const setting = route.setting;
    const hasBody = request.method !== 'GET';
    let upstreamBody = body;
    let clientWantsUsage = false;
    if (call.operation === ProxyOperation.ChatCompletions) {
      const prepared = toOpenAIChatBody(body);
      upstreamBody = prepared.body;
      clientWantsUsage = prepared.clientWantsUsage;
      outcome.stream = body.stream === true;
    }
    // The client going away aborts the upstream call, so nobody pays for an unread answer.
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const upstream = await this.client.send({
      url: toOpenAIUrl(setting, this.env.openaiBaseUrl, call.upstreamPath),
      method: request.method,
      headers: toOpenAIHeaders(setting, request.headers),
      body: hasBody ? JSON.stringify(upstreamBody) : undefined,
      signal: abort.signal,
    });
    outcome.status = upstream.statusCode;

    if (outcome.stream && upstream.statusCode === 200 && isEventStream(upstream.headers)) {
      const observer = new OpenAIStreamObserver(clientWantsUsage);
      reply.hijack();
      reply.raw.writeHead(200, {
        // Headers set earlier on the reply (rate limits, request id) go out with the stream.
        ...(reply.getHeaders() as Record<string, string>),
        ...relayedHeaders(upstream.headers),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      reply.raw.flushHeaders();
      const result = await relaySse(upstream.body as unknown as Readable, reply.raw, observer, key.shouldLogResponse);
      outcome.usage = observer.usage;
      outcome.model = observer.model ?? outcome.model;
      outcome.completionText = observer.completionText;
      outcome.response = result.transcript;
      if (result.error) outcome.errorCode = result.error.code;
      else if (result.clientDisconnected) outcome.errorCode = 'client_disconnected';
      outcome.hijacked = true;
      return;
    }

    const responseBody = Buffer.from(await upstream.body.arrayBuffer());
    const headers = relayedHeaders(upstream.headers);
    if (upstream.statusCode >= 400) {
      const { body: errorBody, code } = toClientErrorBody(upstream.statusCode, responseBody);
      outcome.errorCode = code;
      void reply.status(upstream.statusCode).headers({ ...headers, 'content-type': 'application/json' }).send(errorBody);
      return;
    }
    const parsed = parseJson(responseBody);
    if (parsed) {
      outcome.usage = fromOpenAIUsage(parsed.usage);
      if (typeof parsed.model === 'string') outcome.model = parsed.model;
      if (outcome.usage === null) outcome.completionText = completionTextOf(parsed);
    }
    if (key.shouldLogResponse) outcome.response = responseBody.toString('utf8', 0, MAX_LOGGED_BODY_CHARS);
    void reply.status(upstream.statusCode).headers(headers).send(responseBody);
  }

  private toEvent(
    call: ProxyCall,
    key: KeyRecord,
    body: Record<string, unknown> | undefined,
    outcome: Outcome,
    startedAt: number,
    latencyMs: number,
  ): RequestEventData {
    const headers = call.request.headers;
    const estimate = outcome.usage === null && outcome.status < 400 && isTokenBilled(call.operation);
    return {
      id: call.request.id,
      createdAt: startedAt,
      keyId: key.keyId,
      tags: key.tags,
      settingId: outcome.settingId,
      provider: ProviderId.OpenAI,
      model: outcome.model,
      status: outcome.status,
      path: pathOf(call.request.url),
      method: call.request.method,
      stream: outcome.stream,
      latencyMs,
      customId: headerValue(headers['x-custom-event-id']),
      userId: outcome.userId,
      errorCode: outcome.errorCode,
      usage: outcome.usage,
      estimationInput: estimate ? { prompt: promptTextOf(body), completion: outcome.completionText ?? '' } : null,
      request: key.shouldLogRequest && body ? JSON.stringify(body).slice(0, MAX_LOGGED_BODY_CHARS) : null,
      response: outcome.response,
      reservationMember: outcome.reservationMember,
    };
  }
}

/** Operations that name a model (and so are subject to model allow-lists and budgets). */
function isModelBound(operation: ProxyOperation): boolean {
  return operation !== ProxyOperation.ListModels && operation !== ProxyOperation.RetrieveModel;
}

/** The request's user: the x-user-id header, else the OpenAI `user` body field. */
function userIdOf(headers: FastifyRequest['headers'], body: Record<string, unknown> | undefined): string | null {
  return headerValue(headers['x-user-id']) ?? (typeof body?.user === 'string' && body.user !== '' ? body.user.slice(0, 256) : null);
}

function isTokenBilled(operation: ProxyOperation): boolean {
  return operation === ProxyOperation.ChatCompletions || operation === ProxyOperation.Embeddings;
}

function parseJson(buffer: Buffer): Record<string, unknown> | null {
  try {
    const parsed = JSON.parse(buffer.toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function completionTextOf(response: Record<string, unknown>): string {
  const choices = Array.isArray(response.choices) ? (response.choices as Array<Record<string, unknown>>) : [];
  return choices
    .map((choice) => {
      const message = choice.message as { content?: unknown } | undefined;
      return typeof message?.content === 'string' ? message.content : typeof choice.text === 'string' ? choice.text : '';
    })
    .join('');
}

function headerValue(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.trim() !== '' ? first.trim().slice(0, 256) : null;
}
