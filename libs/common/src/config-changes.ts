/**
 * Admin writes announce what changed so every gateway replica refreshes its in-memory
 * snapshot. Libs depend on this interface only; the config cache provides the implementation.
 */
export enum ConfigEntity {
  Key = 'key',
  ProviderSetting = 'provider-setting',
  User = 'user',
  CustomProvider = 'custom-provider',
  ModelPrice = 'model-price',
}

export interface ConfigChange {
  entity: ConfigEntity;
  id: string;
}

/** One string per changed entity (its kind and id), for maps that keep the latest change of each. */
export function configChangeKey(change: ConfigChange): string {
  return `${change.entity}\u0000${change.id}`;
}

export interface ConfigChangeNotifier {
  publish(change: ConfigChange): Promise<void>;
}

export const CONFIG_CHANGES = Symbol('CONFIG_CHANGES');
