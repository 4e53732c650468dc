import { Injectable } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ConfigSnapshotService, KeyRecord } from '@tollgate/config-cache';
import { OUTPUT_LIMIT_FIELDS } from '@tollgate/limits';
import { CompiledRoute, CustomProviderRecord, CustomProviderRegistry, booleanAt, matchRoute, stringAt, textAt, toCredentialHeaders } from '@tollgate/custom-providers';
import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { FastifyReply, FastifyRequest } from 'fastify';
import { decodeOrKeep } from '../../http/decode';
import { pathOf } from '../../http/send-error';
import { Exchange } from '../exchange';
import { ProxyPipeline } from '../proxy-pipeline';
import { ResolvedRoute, RouteResolver } from '../route-resolver';
import { CustomStreamTranslator } from './custom-stream-translator';

const PATH_PREFIX = '/api/custom/providers/';

/**
 * The custom-provider proxy (/api/custom/providers/:provider/*): the route config matched by
 * path decides where the JSON body goes (nothing in the request can change the target), the
 * key's "custom" setting named after the provider supplies the credential, and the configured
 * locations give the model, the stream flag and the texts whose tokens the event counts.
 * Provider and route lookups read the in-memory registry; no database query per request.
 * Admission, the upstream call, the relay and the event are the shared proxy pipeline's.
 */
@Injectable()
export class CustomProviderProxyService {
  constructor(
    private readonly registry: CustomProviderRegistry,
    private readonly snapshot: ConfigSnapshotService,
    private readonly pipeline: ProxyPipeline,
    private readonly routes: RouteResolver,
  ) {}

  handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const body = request.body;
    const exchange = new Exchange({ request, reply }, isObject(body) ? body : null, body);
    const { providerName, routePath } = splitPath(request.url);
    exchange.provider = providerName;
    return this.pipeline.run(exchange, async () => {
      const provider = this.registry.get(providerName);
      if (!provider) throw new GatewayError(GatewayErrorCode.NotFound, `The custom provider '${providerName}' does not exist.`);
      const route = matchRoute(provider, routePath);
      if (!route) throw new GatewayError(GatewayErrorCode.NotFound, `The custom provider '${provider.name}' has no route config for the path '${routePath}'.`);
      // Bytes (octet-stream, multipart, images: parsed for the native upload paths) are not JSON:
      // serialized as they are, the upstream got {"type":"Buffer","data":[...]} and the call was billed.
      if (Buffer.isBuffer(body)) throw new GatewayError(GatewayErrorCode.UnsupportedMediaType, 'unsupported Content-Type: custom provider routes take application/json');
      if (body === null || typeof body !== 'object') throw new GatewayError(GatewayErrorCode.InvalidRequest, 'The request body must be a JSON object or array.');
      const model = stringAt(body, route.model) ?? '';
      exchange.stream = route.stream !== null && booleanAt(body, route.stream) === true;
      // Custom providers report no usage in a known place: the worker counts the located texts.
      exchange.tokenBilled = true;
      exchange.promptText = textAt(body, route.requestPrompt, '\n');
      // The custom provider's name stands in for a built-in id, so price overrides and allowed
      // models apply to it as to any provider.
      const resolved: ResolvedRoute = { provider: provider.name as ProviderId, setting: this.pickSetting(exchange.key, provider.name), model };
      await this.pipeline.admit(exchange, resolved, { modelBound: true, generates: true, costedBody: { ...outputLimitsOf(body), prompt: exchange.promptText } });
      await this.forward(exchange, provider, route, resolved.setting, body);
    });
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
    return this.routes.rotate(key, providerName, candidates);
  }

  private async forward(exchange: Exchange, provider: CustomProviderRecord, route: CompiledRoute, setting: ResolvedProviderSetting, body: object): Promise<void> {
    const apiKey = setting.credentials.apiKey;
    if (!apiKey) throw new GatewayError(GatewayErrorCode.ProviderNotConfigured, `The provider setting for '${provider.name}' has no apiKey.`);
    const upstream = await this.pipeline.send(exchange, {
      url: route.targetUrl,
      method: 'POST',
      // Only these headers go upstream: never the client's key, cookies or forwarding headers.
      headers: {
        'content-type': 'application/json',
        accept: exchange.stream ? 'text/event-stream' : 'application/json',
        ...toCredentialHeaders(provider.authenticationParam, apiKey),
      },
      body: JSON.stringify(body),
    });
    if (this.pipeline.isStream(upstream)) return this.pipeline.relayStream(exchange, upstream, new CustomStreamTranslator(route));
    const raw = await this.pipeline.readBody(upstream, exchange);
    if (upstream.statusCode === 401 || upstream.statusCode === 403) {
      // The caller's key is fine: the stored credential is not (as for the built-in providers).
      throw new GatewayError(GatewayErrorCode.UpstreamAuth, `The custom provider '${provider.name}' rejected the credential stored in its provider setting (HTTP ${upstream.statusCode}).`, null, { 'x-should-retry': 'false' });
    }
    if (upstream.statusCode >= 400) {
      // A custom provider's clients speak its own API: its errors are relayed as they are.
      const retryAfter = upstream.headers['retry-after'];
      return this.pipeline.respondError(exchange, { status: upstream.statusCode, body: raw, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, code: `upstream_${upstream.statusCode}` }, upstream.headers);
    }
    // A location that finds nothing (a misconfigured route, an answer of another shape) would make
    // the output free: the whole answer is counted then, an upper bound, as for streams.
    const completionText = textAt(parseJson(raw), route.responseCompletion, '\n') || raw.toString('utf8');
    this.pipeline.respond(exchange, upstream, { body: raw, usage: null, model: null, completionText });
  }
}

/** "/api/custom/providers/acme/v1/chat?x=1" → provider "acme", route path "/v1/chat" (raw, not decoded). */
export function splitPath(url: string): { providerName: string; routePath: string } {
  const path = pathOf(url);
  const rest = path.startsWith(PATH_PREFIX) ? path.slice(PATH_PREFIX.length) : '';
  const slash = rest.indexOf('/');
  // Malformed escapes: looked up as written (and not found).
  const providerName = decodeOrKeep(slash === -1 ? rest : rest.slice(0, slash));
  return { providerName: providerName.toLowerCase().slice(0, 64), routePath: slash === -1 ? '/' : rest.slice(slash) };
}

function parseJson(buffer: Buffer): unknown {
  try {
    return JSON.parse(buffer.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}


/**
 * The output limits a custom body may share with the APIs it imitates (OpenAI's, Anthropic's,
 * Gemini's), for the budget's worst case; without one, BUDGET_DEFAULT_MAX_TOKENS applies.
 */
function outputLimitsOf(body: object): Record<string, unknown> {
  if (Array.isArray(body)) return {};
  const record = body as Record<string, unknown>;
  return Object.fromEntries(OUTPUT_LIMIT_FIELDS.filter((field) => record[field] !== undefined).map((field) => [field, record[field]]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}
