import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigEntity, ENV, Env, GatewayError, GatewayErrorCode, LOGGER, Logger } from '@tollgate/common';
import { CONFIG_CHANGE_BUS, ConfigChangeBus, ConfigSync, KeyRecord, ReloadTracker, UserRecord } from '@tollgate/config-cache';
import { Admission, LimitedScope, LimitsService, audioOf, hasBudget, hasLimits, worstCaseCostUsd } from '@tollgate/limits';
import { CostCalculator, ModelPricesService } from '@tollgate/reporting';
import { ProviderId } from '@tollgate/provider-settings';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { ResolvedRoute } from './route-resolver';


export interface AdmissionRequest {
  requestId: string;
  key: KeyRecord;
  user: UserRecord | null;
  route: ResolvedRoute | null;
  body: Record<string, unknown>;
  /** Whether the operation generates output tokens (chat) or only reads input (embeddings). */
  generates: boolean;
  /**
   * How the operation is billed: by tokens (priced from the table), not at all (listing models,
   * moderations, files), or some other way the gateway cannot price (images, audio, batches).
   */
  billing?: 'tokens' | 'free' | 'unpriced';
  /**
   * Whether the request may write Anthropic's one-hour cache (a native Anthropic request asking
   * for it): asked only when a budget needs the answer, once (it walks the body).
   */
  hourLongCacheWrites?: () => boolean;
}

/**
 * Applies the key's and the user's rate limits and budgets. Requests of keys and users without
 * limits skip it entirely, so they never wait on Redis.
 */
@Injectable()
export class AdmissionService implements OnModuleInit, OnApplicationShutdown {
  private readonly calculator: CostCalculator;
  /**
   * Price overrides are read in the background, never per request: again whenever the bus
   * announces a change (every replica within milliseconds), after the bus reconnects, and on the
   * config resync timer, which repairs a lost announcement.
   */
  private readonly priceSync: ConfigSync;
  /** Failed reloads of the price overrides, which the gateway's metrics count. */
  private readonly priceReloads = new ReloadTracker();

  constructor(
    private readonly limits: LimitsService,
    private readonly prices: ModelPricesService,
    @Inject(CONFIG_CHANGE_BUS) bus: ConfigChangeBus,
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) logger: Logger,
    metrics: GatewayMetrics,
  ) {
    this.calculator = new CostCalculator((provider, model) => prices.lookup(provider, model));
    this.priceSync = new ConfigSync(bus, {
      entities: [ConfigEntity.ModelPrice],
      reloadOne: () => this.priceReloads.track('announced', () => prices.refresh()),
      reloadAll: () => this.priceReloads.track('full', () => prices.refresh()),
      intervalMs: env.configResyncIntervalMs,
      logger: logger.child({ context: 'Admission' }),
      // The last prices read stay in use; the next reload tries again.
      failureMessage: 'price overrides not refreshed',
    });
    metrics.watchConfigReloads('model_prices', () => this.priceReloads.totals());
  }

  onModuleInit(): Promise<void> {
    return this.priceSync.start();
  }

  onApplicationShutdown(): void {
    this.priceSync.stop();
  }

  async admit(request: AdmissionRequest): Promise<Admission | null> {
    const scopes = [toScope('key', request.key.keyId, request.key), request.user ? toScope('user', request.user.userId, request.user) : null].filter(
      (scope): scope is LimitedScope => scope !== null && hasLimits(scope),
    );
    if (scopes.length === 0) return null;
    let worstCaseUsd = 0;
    const billing = request.billing ?? 'tokens';
    if (scopes.some(hasBudget) && billing === 'unpriced') {
      throw new GatewayError(
        GatewayErrorCode.ModelNotPriced,
        'This request is not billed by its tokens alone (an operation priced per item, built-in or server tools, a file or document stored at the provider or fetched from a URL, a stored prompt, earlier turns or a background run the gateway cannot see), so a cost limit could not hold; it is not available to keys or users with a cost limit.',
      );
    }
    if (scopes.some(hasBudget) && request.route && billing === 'tokens') {
      const audio = audioOf(request.body);
      if ((audio.input || audio.output) && !this.calculator.pricesAudio(request.route.provider, request.route.model, audio)) {
        // Priced as text, audio ran a $1 limit past $10 at the provider.
        throw new GatewayError(
          GatewayErrorCode.ModelNotPriced,
          `The model '${request.route.model}' has no known audio price (audio is billed at several times the text price), so this key's cost limit cannot be enforced for audio. Ask an admin to set its price (PUT /api/model-prices), or send text only.`,
          'model',
        );
      }
      const cost = this.worstCaseUsd(request.route, request);
      if (cost === null) {
        throw new GatewayError(
          GatewayErrorCode.ModelNotPriced,
          `The model '${request.route.model}' has no known price, so this key's cost limit cannot be enforced. Ask an admin to set its price (PUT /api/model-prices).`,
          'model',
        );
      }
      worstCaseUsd = cost;
    }
    return this.limits.admit(request.requestId, scopes, worstCaseUsd);
  }

  /**
   * The most the request may cost at the price its event will be settled at. The provider may
   * answer under a snapshot of the requested model (gpt-4o-mini answers as
   * gpt-4o-mini-2024-07-18), and an admin's price on that name is what the event is charged: the
   * dearest of the requested model's price and those snapshots' is reserved. Null when the
   * requested model has no price.
   */
  private worstCaseUsd(route: ResolvedRoute, request: AdmissionRequest): number | null {
    const defaultMaxTokens = this.defaultMaxTokensOf(route.provider);
    const hourLongCacheWrites = request.hourLongCacheWrites?.() ?? false;
    const costAt = (model: string) =>
      worstCaseCostUsd(this.calculator, {
        provider: route.provider,
        model,
        body: request.body,
        generates: request.generates,
        defaultMaxTokens,
        hourLongCacheWrites,
      });
    const requested = costAt(route.model);
    if (requested === null) return null;
    return this.prices.snapshotsOf(route.provider, route.model).reduce((worst, snapshot) => Math.max(worst, costAt(snapshot) ?? 0), requested);
  }

  /**
   * The output a request without a maximum of its own may generate. Anthropic requires one, and
   * the translation sends ANTHROPIC_DEFAULT_MAX_TOKENS: reserving BUDGET_DEFAULT_MAX_TOKENS
   * instead let a smaller assumption admit what a larger default then spent (a $0.10 limit spent
   * $0.45 by one request). Its native API refuses a request without one, so the default serves both.
   */
  private defaultMaxTokensOf(provider: ProviderId): number {
    return provider === ProviderId.Anthropic ? this.env.anthropicDefaultMaxTokens : this.env.budgetDefaultMaxTokens;
  }
}

function toScope(kind: 'key' | 'user', id: string, limits: Omit<LimitedScope, 'kind' | 'id'>): LimitedScope {
  return {
    kind,
    id,
    rateLimitOverTime: limits.rateLimitOverTime,
    rateLimitUnit: limits.rateLimitUnit,
    costLimitInUsd: limits.costLimitInUsd,
    costLimitInUsdOverTime: limits.costLimitInUsdOverTime,
    costLimitInUsdUnit: limits.costLimitInUsdUnit,
  };
}
