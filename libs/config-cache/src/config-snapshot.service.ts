import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigChange, ConfigEntity, ENV, Env, LOGGER, Logger } from '@tollgate/common';
import { KeysService } from '@tollgate/keys';
import { ProviderSettingsService, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { UsersService } from '@tollgate/users';
import { CONFIG_CHANGE_BUS, ConfigChangeBus } from './config-change-bus';
import { ConfigSync } from './config-sync';
import { KeyRecord, UserRecord, toKeyRecord, toUserRecord } from './key-record';

/**
 * The gateway's in-memory copy of keys, users and provider settings. The proxy reads it on every
 * request and never queries the database; admin writes reach it through the change bus, and
 * a periodic full resync repairs anything a lost message left stale.
 */
@Injectable()
export class ConfigSnapshotService implements OnModuleInit, OnApplicationShutdown {
  private keysByHash = new Map<string, KeyRecord>();
  private hashByKeyId = new Map<string, string>();
  private settings = new Map<string, ResolvedProviderSetting>();
  private usersByUserId = new Map<string, UserRecord>();
  private userIdById = new Map<string, string>();
  private lastFullLoadAt: number | null = null;
  private readonly sync: ConfigSync;

  constructor(
    private readonly keys: KeysService,
    private readonly providerSettings: ProviderSettingsService,
    private readonly users: UsersService,
    @Inject(CONFIG_CHANGE_BUS) private readonly bus: ConfigChangeBus,
    @Inject(ENV) env: Env,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.sync = new ConfigSync(bus, {
      entities: [ConfigEntity.Key, ConfigEntity.User, ConfigEntity.ProviderSetting],
      reloadOne: (change) => this.apply(change),
      reloadAll: () => this.loadAll(),
      intervalMs: env.configResyncIntervalMs,
      logger: logger.child({ context: 'ConfigSnapshot' }),
      // The snapshot keeps serving its last good state; the next resync tries again.
      failureMessage: 'config snapshot reload failed',
    });
  }

  onModuleInit(): Promise<void> {
    return this.sync.start();
  }

  onApplicationShutdown(): void {
    this.sync.stop();
    void this.bus.close();
  }

  getKeyByHash(keyHash: string): KeyRecord | null {
    return this.keysByHash.get(keyHash) ?? null;
  }

  getSetting(id: string): ResolvedProviderSetting | null {
    return this.settings.get(id) ?? null;
  }

  /** By the client's own user id (the OpenAI `user` field or x-user-id). */
  getUser(userId: string): UserRecord | null {
    return this.usersByUserId.get(userId) ?? null;
  }

  /** For the gateway's metrics: how much it holds, and when it last reloaded everything. */
  stats(): { keys: number; providerSettings: number; users: number; lastFullLoadAt: number | null } {
    return { keys: this.keysByHash.size, providerSettings: this.settings.size, users: this.usersByUserId.size, lastFullLoadAt: this.lastFullLoadAt };
  }

  /** Reloads everything; runs at start, on a timer and after the bus reconnects. */
  private async loadAll(): Promise<void> {
    const [keys, settings, users] = await Promise.all([this.keys.loadAll(), this.providerSettings.loadResolved(), this.users.loadAll()]);
    const keysByHash = new Map<string, KeyRecord>();
    const hashByKeyId = new Map<string, string>();
    for (const key of keys) {
      keysByHash.set(key.keyHash, toKeyRecord(key));
      hashByKeyId.set(key.keyId, key.keyHash);
    }
    this.keysByHash = keysByHash;
    this.hashByKeyId = hashByKeyId;
    this.settings = new Map(settings.map((setting) => [setting.id, setting]));
    this.usersByUserId = new Map(users.map((user) => [user.userId, toUserRecord(user)]));
    this.userIdById = new Map(users.map((user) => [user.id, user.userId]));
    this.lastFullLoadAt = Date.now();
  }

  private async apply(change: ConfigChange): Promise<void> {
    switch (change.entity) {
      case ConfigEntity.Key: {
        const key = await this.keys.getById(change.id);
        const previousHash = this.hashByKeyId.get(change.id);
        if (previousHash) this.keysByHash.delete(previousHash);
        if (key) {
          this.keysByHash.set(key.keyHash, toKeyRecord(key));
          this.hashByKeyId.set(key.keyId, key.keyHash);
        } else {
          this.hashByKeyId.delete(change.id);
        }
        return;
      }
      case ConfigEntity.User: {
        const user = await this.users.getById(change.id);
        const previousUserId = this.userIdById.get(change.id);
        if (previousUserId) this.usersByUserId.delete(previousUserId);
        if (user) {
          this.usersByUserId.set(user.userId, toUserRecord(user));
          this.userIdById.set(user.id, user.userId);
        } else {
          this.userIdById.delete(change.id);
        }
        return;
      }
      case ConfigEntity.ProviderSetting: {
        const [setting] = await this.providerSettings.loadResolved([change.id]);
        if (setting) this.settings.set(setting.id, setting);
        else this.settings.delete(change.id);
        return;
      }
    }
  }
}
