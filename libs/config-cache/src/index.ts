export {
  CONFIG_CHANGE_BUS,
  ConfigChangeBus,
  ConfigChangeHandler,
  LocalConfigChangeBus,
  RedisConfigChangeBus,
} from './config-change-bus';
export { ConfigSnapshotService } from './config-snapshot.service';
export { ConfigSync, ConfigSyncOptions } from './config-sync';
export { AllowedPathRule, KeyRecord, UserRecord, toKeyRecord, toUserRecord } from './key-record';
export { normalizePath } from './path-normalizer';
export { ConfigReloadKind, ReloadTotals, ReloadTracker } from './reload-tracker';
export { ConfigCacheModule } from './config-cache.module';
