import { Injectable } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ConfigSnapshotService, KeyRecord } from '@tollgate/config-cache';
import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';

export interface ResolvedRoute {
  provider: ProviderId;
  setting: ResolvedProviderSetting;
  /** The model as the provider knows it. */
  model: string;
}

/**
 * Picks the provider setting a request goes to. With rotationEnabled and several settings of
 * the provider, requests go round-robin across them (spreading load over several provider
 * accounts); otherwise the key's first setting of the provider is used.
 */
@Injectable()
export class RouteResolver {
  private readonly rotation = new Map<string, number>();

  constructor(private readonly snapshot: ConfigSnapshotService) {}

  resolve(key: KeyRecord, provider: ProviderId, model: string): ResolvedRoute {
    const candidates: ResolvedProviderSetting[] = [];
    for (const id of key.settingIds) {
      const setting = this.snapshot.getSetting(id);
      if (setting && setting.provider === provider) candidates.push(setting);
    }
    if (candidates.length === 0) {
      throw new GatewayError(GatewayErrorCode.ProviderNotConfigured, `This key has no ${provider} provider setting.`);
    }
    let setting = candidates[0];
    if (key.rotationEnabled && candidates.length > 1) {
      const turn = this.rotation.get(key.keyId) ?? 0;
      this.rotation.set(key.keyId, (turn + 1) % candidates.length);
      setting = candidates[turn % candidates.length];
    }
    return { provider, setting, model };
  }
}
