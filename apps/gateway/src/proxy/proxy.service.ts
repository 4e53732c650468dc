import { Inject, Injectable } from '@nestjs/common';
import { GatewayError, GatewayErrorCode, LOGGER, Logger, toUnixSeconds } from '@tollgate/common';
import { UserRecord } from '@tollgate/config-cache';
import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { ListedModel, OpenAICompatibleAdapter, OpenAIStreamPassthrough, getProviderAdapter, readOpenAIAnswer } from '@tollgate/providers';
import { modelAllowed } from './access-policy';
import { Exchange, ProxyCall } from './exchange';
import { ProxyOperation, validateProxyBody } from './proxy-body';
import { ProxyPipeline } from './proxy-pipeline';
import { RouteResolver } from './route-resolver';
import { chatBilledByTokens, costedChatBody } from './token-billing';

const MODEL_LIST_TTL_MS = 60_000;
const MODEL_LIST_TIMEOUT_MS = 5_000;

interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/**
 * The OpenAI-shaped operations, for any provider: the route decides the provider, its adapter
 * translates. Also serves OpenAI's native chat and embeddings paths (with the provider forced).
 */
@Injectable()
export class ProxyService {
  private readonly logger: Logger;
  private readonly modelLists = new Map<string, { models: ListedModel[]; expiresAt: number }>();

  constructor(
    private readonly pipeline: ProxyPipeline,
    private readonly routes: RouteResolver,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'Proxy' });
  }

  chat(call: ProxyCall, forced?: ProviderId): Promise<void> {
    const exchange = new Exchange(call, jsonBody(call));
    exchange.tokenBilled = true;
    return this.pipeline.run(exchange, async () => {
      const body = validateProxyBody(ProxyOperation.ChatCompletions, call.request.body);
      const route = this.routes.resolve(exchange.key, body.model as string, forced);
      const billing = chatBilledByTokens(body) ? 'tokens' : 'unpriced';
      exchange.billedOtherwise = billing === 'unpriced';
      await this.pipeline.admit(exchange, route, { modelBound: true, generates: true, billing, costedBody: costedChatBody(body) });
      const adapter = this.pipeline.adapterFor(route);
      const chatCall = { body, model: route.model, stream: body.stream === true };
      exchange.stream = chatCall.stream;
      const upstream = await this.pipeline.send(exchange, adapter.toChatRequest(this.pipeline.context(exchange, route), chatCall));
      if (chatCall.stream && this.pipeline.isStream(upstream, true)) {
        const options = body.stream_options as { include_usage?: unknown } | undefined;
        return this.pipeline.relayStream(exchange, upstream, adapter.chatStreamTranslator(chatCall, options?.include_usage === true));
      }
      // A 200 whose body is an error (some compatible servers, in-house proxies) is answered as the
      // error it is, in OpenAI's terms, as a 4xx or 5xx would be: never relayed as a success.
      const { raw, errorStatus } = await this.pipeline.readAnswer(upstream, exchange, 'chat');
      if (errorStatus !== null) return this.pipeline.respondError(exchange, adapter.toProviderError(errorStatus, raw, upstream.headers), upstream.headers);
      this.pipeline.respond(exchange, upstream, adapter.fromChatResponse(raw, chatCall));
    });
  }

  embeddings(call: ProxyCall, forced?: ProviderId): Promise<void> {
    const exchange = new Exchange(call, jsonBody(call));
    exchange.tokenBilled = true;
    return this.pipeline.run(exchange, async () => {
      const body = validateProxyBody(ProxyOperation.Embeddings, call.request.body);
      const route = this.routes.resolve(exchange.key, body.model as string, forced);
      await this.pipeline.admit(exchange, route, { modelBound: true, generates: false });
      const adapter = this.pipeline.adapterFor(route);
      if (!adapter.toEmbeddingsRequest || !adapter.fromEmbeddingsResponse) {
        throw new GatewayError(GatewayErrorCode.InvalidRequest, `${route.provider} has no embeddings API.`, 'model');
      }
      const upstream = await this.pipeline.send(exchange, adapter.toEmbeddingsRequest(this.pipeline.context(exchange, route), body, route.model));
      const { raw, errorStatus } = await this.pipeline.readAnswer(upstream, exchange, 'embeddings');
      if (errorStatus !== null) return this.pipeline.respondError(exchange, adapter.toProviderError(errorStatus, raw, upstream.headers), upstream.headers);
      this.pipeline.respond(exchange, upstream, adapter.fromEmbeddingsResponse(raw, body, route.model));
    });
  }

  /** Legacy /v1/completions: only OpenAI-compatible providers have it; relayed as is. */
  completions(call: ProxyCall): Promise<void> {
    const exchange = new Exchange(call, jsonBody(call));
    exchange.tokenBilled = true;
    return this.pipeline.run(exchange, async () => {
      const body = validateProxyBody(ProxyOperation.Completions, call.request.body);
      const route = this.routes.resolve(exchange.key, body.model as string);
      await this.pipeline.admit(exchange, route, { modelBound: true, generates: true, costedBody: costedChatBody(body) });
      const adapter = this.pipeline.adapterFor(route);
      if (!(adapter instanceof OpenAICompatibleAdapter)) {
        throw new GatewayError(GatewayErrorCode.InvalidRequest, `${route.provider} has no legacy completions API; use /v1/chat/completions.`, 'model');
      }
      const upstream = await this.pipeline.send(exchange, adapter.toCompletionsRequest(this.pipeline.context(exchange, route), body, route.model));
      if (body.stream === true && this.pipeline.isStream(upstream, true)) {
        const options = body.stream_options as { include_usage?: unknown } | undefined;
        return this.pipeline.relayStream(exchange, upstream, new OpenAIStreamPassthrough(options?.include_usage === true, { endRequired: true }));
      }
      const { raw, errorStatus } = await this.pipeline.readAnswer(upstream, exchange, 'completions');
      if (errorStatus !== null) return this.pipeline.respondError(exchange, adapter.toProviderError(errorStatus, raw, upstream.headers), upstream.headers);
      this.pipeline.respond(exchange, upstream, readOpenAIAnswer(raw));
    });
  }

  /**
   * What the key can reach: each setting's allowedModels, or, without a list, the provider's own
   * model list (Azure deployments cannot be listed: they need allowedModels). Models of providers
   * other than OpenAI are named `provider/model`, the form that always routes. `created` is the
   * provider's where its list gives one, else when the setting that offers the model was created.
   */
  listModels(call: ProxyCall): Promise<void> {
    const exchange = new Exchange(call, null);
    exchange.provider = 'gateway';
    return this.pipeline.run(exchange, async () => {
      const user = await this.pipeline.admit(exchange, null, { modelBound: false, generates: false });
      const models = await this.reachableModels(exchange, user);
      exchange.status = 200;
      void call.reply.status(200).send({ object: 'list', data: models });
    });
  }

  /** GET /v1/models/:model, answered from the same list: 404 for a model the key cannot reach. */
  retrieveModel(call: ProxyCall, id: string): Promise<void> {
    const exchange = new Exchange(call, null);
    exchange.provider = 'gateway';
    return this.pipeline.run(exchange, async () => {
      const user = await this.pipeline.admit(exchange, null, { modelBound: false, generates: false });
      const model = (await this.reachableModels(exchange, user)).find((entry) => entry.id === id);
      if (!model) throw new GatewayError(GatewayErrorCode.ModelNotFound, `The model '${id}' does not exist or this key cannot reach it.`, 'model');
      exchange.status = 200;
      void call.reply.status(200).send(model);
    });
  }

  private async reachableModels(exchange: Exchange, user: UserRecord | null): Promise<ModelEntry[]> {
    const lists = await Promise.all(
      this.routes.settingsOf(exchange.key).map(async (setting): Promise<ModelEntry[]> => {
        // An allowedModels entry may name the model with its provider (`anthropic/claude-…`, see
        // modelAllowed): listed bare here, it gets the prefix once, below.
        const prefix = `${setting.provider}/`;
        const offered =
          setting.allowedModels.length > 0
            ? setting.allowedModels.map((id) => ({ id: id.startsWith(prefix) ? id.slice(prefix.length) : id, created: null }))
            : await this.fetchProviderModels(exchange, setting);
        // A user limited to some models is shown those only: the others would be a 403 for it.
        const listed = user ? offered.filter(({ id }) => modelAllowed(user.allowedModels, setting.provider, id)) : offered;
        const settingCreated = toUnixSeconds(setting.createdAt);
        return listed.map(({ id, created }) => ({
          id: setting.provider === ProviderId.OpenAI ? id : `${setting.provider}/${id}`,
          object: 'model',
          created: created ?? settingCreated,
          owned_by: setting.provider,
        }));
      }),
    );
    return [...new Map(lists.flat().map((entry) => [entry.id, entry])).values()];
  }

  /**
   * A provider's model list, cached per setting for a minute and bounded to a few seconds, so a
   * slow or failing provider neither slows every /v1/models call nor hides the others. The call
   * itself is cut off then too: a hanging provider would otherwise keep a connection per
   * /v1/models call open for the whole upstream timeout. (Both: undici only acts on the abort
   * once the request has a connection, which a slow connect or a full pool can delay.)
   */
  private async fetchProviderModels(exchange: Exchange, setting: ResolvedProviderSetting): Promise<ListedModel[]> {
    const cacheKey = `${setting.id}:${setting.updatedAt.getTime()}`;
    const cached = this.modelLists.get(cacheKey);
    if (cached && cached.expiresAt > Date.now()) return cached.models;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<ListedModel[]>((resolve) => {
      timer = setTimeout(() => resolve([]), MODEL_LIST_TIMEOUT_MS);
    });
    const models = await Promise.race([this.requestProviderModels(exchange, setting), giveUp]).finally(() => clearTimeout(timer));
    if (models.length > 0) this.modelLists.set(cacheKey, { models, expiresAt: Date.now() + MODEL_LIST_TTL_MS });
    return models;
  }

  private async requestProviderModels(exchange: Exchange, setting: ResolvedProviderSetting): Promise<ListedModel[]> {
    const adapter = getProviderAdapter(setting.provider);
    try {
      const request = adapter?.toModelsRequest?.(this.pipeline.context(exchange, { provider: setting.provider, setting, model: '' })) ?? null;
      if (!adapter?.fromModelsResponse || request === null) return [];
      const upstream = await this.pipeline.send(exchange, request, MODEL_LIST_TIMEOUT_MS);
      const raw = await this.pipeline.readBody(upstream, exchange);
      if (upstream.statusCode >= 400) {
        this.logger.warn({ provider: setting.provider, status: upstream.statusCode }, 'provider refused to list its models');
        return [];
      }
      return adapter.fromModelsResponse(raw);
    } catch (error) {
      this.logger.warn({ err: error, provider: setting.provider }, 'could not list provider models');
      return [];
    }
  }
}

/** The parsed JSON body, or null when the request had none (or sent something else). */
export function jsonBody(call: ProxyCall): Record<string, unknown> | null {
  const body = call.request.body;
  return body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body) ? (body as Record<string, unknown>) : null;
}
