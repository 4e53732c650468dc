export {
  CONFIG_CHANGE_BUS,
  ConfigChangeBus,
  ConfigChangeHandler,
  LocalConfigChangeBus,
  RedisConfigChangeBus,
} from './config-change-bus';
export { ConfigSnapshotService } from './config-snapshot.service';
export { KeyRecord, UserRecord, toKeyRecord, toUserRecord } from './key-record';
export { ConfigCacheModule } from './config-cache.module';
