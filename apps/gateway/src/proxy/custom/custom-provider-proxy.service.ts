import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ENV, Env, GatewayError, GatewayErrorCode, LOGGER, Logger, toOpenAIErrorBody } from '@tollgate/common';
import { ConfigSnapshotService, KeyRecord } from '@tollgate/config-cache';
import { CompiledRoute, CustomProviderRecord, CustomProviderRegistry, booleanAt, matchRoute, stringAt, textAt, toCredentialHeaders } from '@tollgate/custom-providers';
import { rateLimitHeaders } from '@tollgate/limits';
import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { SsrfGuard, UpstreamAllowList, UpstreamClient, toUpstreamError } from '@tollgate/providers';
import { EVENT_SINK, EventSink, RequestEventData } from '@tollgate/queue';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { pathOf } from '../../http/send-error';
import { AccessPolicy } from '../access-policy';
import { AdmissionService } from '../admission.service';
import { ResolvedRoute } from '../route-resolver';
import { isEventStream, relayedHeaders } from '../upstream-response';
import { relayCustomStream } from './custom-stream-relay';

const PATH_PREFIX = '/api/custom/providers/';
const MAX_LOGGED_BODY_CHARS = 1_000_000;

/** What the request produced, for its event. */
interface Outcome {
  provider: string;
  route: CompiledRoute | null;
  status: number;
  model: string;
  stream: boolean;
  settingId: string | null;
  userId: string | null;
  promptText: string | null;
  completionText: string | null;
  errorCode: string | null;
  response: string | null;
  reservationMember: string | null;
  hijacked: boolean;
}

/**
 * The custom-provider proxy (/api/custom/providers/:provider/*): the route config matched by
 * path decides where the JSON body goes (nothing in the request can change the target), the
 * key's "custom" setting named after the provider supplies the credential, and the configured
 * locations give the model, the stream flag and the texts whose tokens the event counts.
 * Provider and route lookups read the in-memory registry; no database query per request.
 */
@Injectable()
export class CustomProviderProxyService implements OnApplicationShutdown {
  private readonly client: UpstreamClient;
  private readonly rotation = new Map<string, number>();
  private readonly logger: Logger;

  constructor(
    private readonly registry: CustomProviderRegistry,
    private readonly snapshot: ConfigSnapshotService,
    private readonly access: AccessPolicy,
    private readonly admission: AdmissionService,
    @Inject(EVENT_SINK) private readonly events: EventSink,
    @Inject(ENV) env: Env,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.client = new UpstreamClient(
      { connectMs: env.upstreamConnectTimeoutMs, firstByteMs: env.upstreamFirstByteTimeoutMs, totalMs: env.upstreamTotalTimeoutMs },
      SsrfGuard.withAllowList(UpstreamAllowList.parse(env.upstreamAllowedHosts)),
    );
    this.logger = logger.child({ context: 'CustomProviderProxy' });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const startedAt = Date.now();
    const started = performance.now();
    const key = request.gatewayKey!;
    const { providerName, routePath } = splitPath(request.url);
    const outcome: Outcome = {
      provider: providerName,
      route: null,
      status: 500,
      model: '',
      stream: false,
      settingId: null,
      userId: headerValue(request.headers['x-user-id']),
      promptText: null,
      completionText: null,
      errorCode: null,
      response: null,
      reservationMember: null,
      hijacked: false,
    };
    const body = request.body;
    try {
      const provider = this.registry.get(providerName);
      if (!provider) throw new GatewayError(GatewayErrorCode.NotFound, `The custom provider '${providerName}' does not exist.`);
      const route = matchRoute(provider, routePath);
      if (!route) throw new GatewayError(GatewayErrorCode.NotFound, `The custom provider '${provider.name}' has no route config for the path '${routePath}'.`);
      outcome.route = route;
      if (body === null || typeof body !== 'object') throw new GatewayError(GatewayErrorCode.InvalidRequest, 'The request body must be a JSON object or array.');
      outcome.model = stringAt(body, route.model) ?? '';
      outcome.stream = route.stream !== null && booleanAt(body, route.stream) === true;
      outcome.promptText = textAt(body, route.requestPrompt, '\n');

      const setting = this.pickSetting(key, provider.name);
      outcome.settingId = setting.id;
      // The custom provider's name stands in for a built-in id, so price overrides and allowed
      // models apply to it as to any provider.
      const resolved: ResolvedRoute = { provider: provider.name as ProviderId, setting, model: outcome.model };
      const user = this.access.check({ key, method: request.method, path: request.url, userId: outcome.userId, route: resolved });
      const admission = await this.admission.admit({
        requestId: request.id,
        key,
        user,
        route: resolved,
        body: { prompt: outcome.promptText },
        generates: true,
      });
      if (admission) {
        outcome.reservationMember = admission.reservationMember;
        if (admission.rate) reply.headers(rateLimitHeaders(admission.rate));
      }
      await this.forward(request, reply, provider, route, setting, body, outcome);
    } catch (thrown) {
      const error = toUpstreamError(thrown);
      outcome.status = error.status;
      outcome.errorCode = error.code;
      if (error.code === GatewayErrorCode.Internal) this.logger.error({ err: thrown, reqId: request.id }, 'custom provider proxy failure');
      if (!reply.sent && !reply.raw.headersSent) {
        void reply.status(error.status).headers(error.headers).header('content-type', 'application/json').send(toOpenAIErrorBody(error));
      }
    } finally {
      const latencyMs = performance.now() - started;
      this.events.publish(this.toEvent(request, key, body, outcome, startedAt, latencyMs));
      if (outcome.hijacked) {
        this.logger.info(
          { reqId: request.id, method: request.method, path: pathOf(request.url), status: outcome.status, ms: Math.round(latencyMs), stream: true, error: outcome.errorCode ?? undefined },
          'request completed',
        );
      }
    }
  }

  /** The key's "custom" setting named after the provider (round-robin over several with rotationEnabled). */
  private pickSetting(key: KeyRecord, providerName: string): ResolvedProviderSetting {
    const candidates: ResolvedProviderSetting[] = [];
    for (const id of key.settingIds) {
      const setting = this.snapshot.getSetting(id);
      if (setting && setting.provider === ProviderId.Custom && setting.name.trim().toLowerCase() === providerName) candidates.push(setting);
    }
    if (candidates.length === 0) {
      throw new GatewayError(
        GatewayErrorCode.ProviderNotConfigured,
        `This key has no provider setting for the custom provider '${providerName}' (a setting with provider "custom" and name "${providerName}").`,
      );
    }
    if (!key.rotationEnabled || candidates.length === 1) return candidates[0];
    const slot = `${key.keyId}:${providerName}`;
    const turn = this.rotation.get(slot) ?? 0;
    this.rotation.set(slot, (turn + 1) % candidates.length);
    return candidates[turn % candidates.length];
  }

  private async forward(
    request: FastifyRequest,
    reply: FastifyReply,
    provider: CustomProviderRecord,
    route: CompiledRoute,
    setting: ResolvedProviderSetting,
    body: object,
    outcome: Outcome,
  ): Promise<void> {
    const apiKey = setting.credentials.apiKey;
    if (!apiKey) throw new GatewayError(GatewayErrorCode.ProviderNotConfigured, `The provider setting for '${provider.name}' has no apiKey.`);
    // The client going away aborts the upstream call, so nobody pays for an unread answer.
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const upstream = await this.client.send({
      url: route.targetUrl,
      method: 'POST',
      // Only these headers go upstream: never the client's key, cookies or forwarding headers.
      headers: {
        'content-type': 'application/json',
        accept: outcome.stream ? 'text/event-stream' : 'application/json',
        ...toCredentialHeaders(provider.authenticationParam, apiKey),
      },
      body: JSON.stringify(body),
      signal: abort.signal,
    });
    outcome.status = upstream.statusCode;

    if (upstream.statusCode === 200 && isEventStream(upstream.headers)) {
      outcome.stream = true;
      reply.hijack();
      outcome.hijacked = true;
      reply.raw.writeHead(200, {
        // Headers set earlier on the reply (rate limits) go out with the stream.
        ...(reply.getHeaders() as Record<string, string>),
        ...relayedHeaders(upstream.headers),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      reply.raw.flushHeaders();
      const result = await relayCustomStream(upstream.body as unknown as Readable, reply.raw, route, request.gatewayKey!.shouldLogResponse);
      outcome.completionText = result.completionText;
      outcome.response = result.transcript;
      outcome.errorCode = result.errorCode ?? (result.clientDisconnected ? 'client_disconnected' : null);
      return;
    }

    const responseBody = Buffer.from(await upstream.body.arrayBuffer());
    if (upstream.statusCode === 401) {
      // The caller's key is fine: the stored credential is not.
      throw new GatewayError(
        GatewayErrorCode.UpstreamAuth,
        `The custom provider '${provider.name}' rejected the credential stored in its provider setting (HTTP 401).`,
      );
    }
    const contentType = typeof upstream.headers['content-type'] === 'string' ? upstream.headers['content-type'] : 'application/json';
    if (upstream.statusCode >= 400) {
      // A custom provider's clients speak its own API: its errors are relayed as they are.
      outcome.errorCode = `upstream_${upstream.statusCode}`;
    } else {
      outcome.completionText = textAt(parseJson(responseBody), route.responseCompletion, '\n');
    }
    if (request.gatewayKey!.shouldLogResponse) outcome.response = responseBody.toString('utf8', 0, MAX_LOGGED_BODY_CHARS);
    void reply.status(upstream.statusCode).headers(relayedHeaders(upstream.headers)).header('content-type', contentType).send(responseBody);
  }

  private toEvent(request: FastifyRequest, key: KeyRecord, body: unknown, outcome: Outcome, startedAt: number, latencyMs: number): RequestEventData {
    // Custom providers report no usage in a known place: the worker counts the located texts
    // with the tokenizer (estimateTokens) and marks the counts as estimated.
    const counted = outcome.route !== null && outcome.status < 400;
    return {
      id: request.id,
      createdAt: startedAt,
      keyId: key.keyId,
      tags: key.tags,
      settingId: outcome.settingId,
      provider: outcome.provider,
      model: outcome.model,
      status: outcome.status,
      path: pathOf(request.url),
      method: request.method,
      stream: outcome.stream,
      latencyMs,
      customId: headerValue(request.headers['x-custom-event-id']),
      userId: outcome.userId,
      errorCode: outcome.errorCode,
      usage: null,
      estimationInput: counted ? { prompt: outcome.promptText ?? '', completion: outcome.completionText ?? '' } : null,
      request: key.shouldLogRequest && body !== undefined ? JSON.stringify(body).slice(0, MAX_LOGGED_BODY_CHARS) : null,
      response: outcome.response,
      reservationMember: outcome.reservationMember,
    };
  }
}

/** "/api/custom/providers/acme/v1/chat?x=1" → provider "acme", route path "/v1/chat" (raw, not decoded). */
export function splitPath(url: string): { providerName: string; routePath: string } {
  const path = pathOf(url);
  const rest = path.startsWith(PATH_PREFIX) ? path.slice(PATH_PREFIX.length) : '';
  const slash = rest.indexOf('/');
  const rawName = slash === -1 ? rest : rest.slice(0, slash);
  let providerName = rawName;
  try {
    providerName = decodeURIComponent(rawName);
  } catch {
    // Malformed escapes: looked up as written (and not found).
  }
  return { providerName: providerName.toLowerCase().slice(0, 64), routePath: slash === -1 ? '/' : rest.slice(slash) };
}

function parseJson(buffer: Buffer): unknown {
  try {
    return JSON.parse(buffer.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.trim() !== '' ? first.trim().slice(0, 256) : null;
}
