import { Injectable } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ConfigSnapshotService, KeyRecord } from '@tollgate/config-cache';
import { PROVIDER_IDS, ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';

export interface ResolvedRoute {
  provider: ProviderId;
  setting: ResolvedProviderSetting;
  /** The model as the provider knows it (provider prefix removed). */
  model: string;
}

/** Model-name families, for bare names the key's settings do not list explicitly. */
const MODEL_FAMILIES: Array<[RegExp, ProviderId]> = [
  [/^claude/i, ProviderId.Anthropic],
  [/^(models\/)?(gemini|gemma|text-embedding-004|embedding-001)/i, ProviderId.Gemini],
  [/^(gpt|o\d|chatgpt|text-embedding|omni-moderation|text-moderation|dall-e|gpt-image|whisper|tts|davinci|babbage)/i, ProviderId.OpenAI],
];

/**
 * Decides where a request goes. `provider/model` always names the provider; a bare model is
 * resolved through the key's settings: a setting listing the model in allowedModels, else the
 * model's family (gpt-… → OpenAI, claude-… → Anthropic, gemini-… → Gemini), else the key's
 * only provider. Anything still ambiguous is the client's to disambiguate, with a prefix.
 *
 * With rotationEnabled and several settings of the provider, each model's requests go
 * round-robin across them (spreading load over several provider accounts).
 */
/** Round-robin turns kept (per key, provider and model) before they start over. */
const MAX_ROTATION_SLOTS = 10_000;

@Injectable()
export class RouteResolver {
  private readonly rotation = new Map<string, number>();

  constructor(private readonly snapshot: ConfigSnapshotService) {}

  /** `forced`: native provider paths, where the URL already names the provider. */
  resolve(key: KeyRecord, requestedModel: string, forced?: ProviderId): ResolvedRoute {
    try {
      return this.route(key, requestedModel, forced);
    } catch (error) {
      // "No such setting" when the key has one the gateway cannot decrypt (a wrong ENCRYPTION_KEY)
      // blamed the client: it is the server's fault, and its operator's to fix.
      if (error instanceof GatewayError && error.code === GatewayErrorCode.ProviderNotConfigured && key.settingIds.some((id) => this.snapshot.isSettingUnreadable(id))) {
        throw new GatewayError(GatewayErrorCode.ProviderSettingUnreadable, "The gateway cannot read this key's provider setting: a server configuration fault, reported in its log.");
      }
      throw error;
    }
  }

  private route(key: KeyRecord, requestedModel: string, forced?: ProviderId): ResolvedRoute {
    const settings = this.settingsOf(key);
    const { provider, model } = forced ? { provider: forced, model: stripPrefix(requestedModel, forced) } : this.pickProvider(settings, requestedModel);
    const candidates = settings.filter((setting) => setting.provider === provider);
    if (candidates.length === 0) {
      throw new GatewayError(GatewayErrorCode.ProviderNotConfigured, `This key has no ${provider} provider setting.`, 'model');
    }
    // Settings that list the model come first, then settings that accept any model; a setting
    // whose list excludes the model is used only when nothing else is left (and then refused).
    const listing = candidates.filter((setting) => setting.allowedModels.includes(model));
    const open = candidates.filter((setting) => setting.allowedModels.length === 0);
    const pool = listing.length > 0 ? listing : open.length > 0 ? open : candidates;
    return { provider, model, setting: this.rotate(key, provider, pool, model) };
  }

  /** The key's providers, for listing models. */
  settingsOf(key: KeyRecord): ResolvedProviderSetting[] {
    return key.settingIds.map((id) => this.snapshot.getSetting(id)).filter((setting): setting is ResolvedProviderSetting => setting !== null);
  }

  private pickProvider(settings: ResolvedProviderSetting[], requested: string): { provider: ProviderId; model: string } {
    const slash = requested.indexOf('/');
    if (slash > 0) {
      const prefix = requested.slice(0, slash).toLowerCase();
      if ((PROVIDER_IDS as string[]).includes(prefix) && prefix !== ProviderId.Custom) {
        return { provider: prefix as ProviderId, model: requested.slice(slash + 1) };
      }
    }
    const providers: ProviderId[] = [...new Set(settings.map((setting) => setting.provider).filter((p) => p !== ProviderId.Custom))];
    const listing = [...new Set(settings.filter((s) => s.allowedModels.includes(requested)).map((s) => s.provider))];
    if (listing.length === 1) return { provider: listing[0], model: requested };
    const family = MODEL_FAMILIES.find(([pattern]) => pattern.test(requested))?.[1];
    if (family && providers.includes(family)) return { provider: family, model: requested };
    if (providers.length === 1) return { provider: providers[0], model: requested };
    if (providers.length === 0) throw new GatewayError(GatewayErrorCode.ProviderNotConfigured, 'This key has no provider settings.', 'model');
    throw new GatewayError(
      GatewayErrorCode.InvalidRequest,
      `Cannot tell which provider serves '${requested}'; prefix the model with one of: ${providers.map((p) => `${p}/`).join(', ')}`,
      'model',
    );
  }

  /**
   * One of `pool` (with rotationEnabled, round-robin per key, provider and model, else the
   * first). Per model: one turn shared by every model sent every model to the same account when
   * clients alternated models, which rotation is meant to spread across accounts' limits.
   */
  rotate(key: KeyRecord, provider: string, pool: ResolvedProviderSetting[], model = ''): ResolvedProviderSetting {
    if (!key.rotationEnabled || pool.length === 1) return pool[0];
    const slot = `${key.keyId}\u0000${provider}\u0000${model}`;
    const turn = this.rotation.get(slot) ?? 0;
    // Model names are the client's: the turns kept are bounded (a reset only restarts rotations).
    if (!this.rotation.has(slot) && this.rotation.size >= MAX_ROTATION_SLOTS) this.rotation.clear();
    this.rotation.set(slot, (turn + 1) % pool.length);
    return pool[turn % pool.length];
  }
}

function stripPrefix(model: string, provider: ProviderId): string {
  return model.toLowerCase().startsWith(`${provider}/`) ? model.slice(provider.length + 1) : model;
}
