import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigChange, ConfigEntity, ENV, Env, LOGGER, Logger, configChangeKey } from '@tollgate/common';
import { later, newestUpdate } from '@tollgate/database';
import { KeyHashScheme, KeysService } from '@tollgate/keys';
import { ProviderSettingsService, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { UsersService } from '@tollgate/users';
import { CONFIG_CHANGE_BUS, ConfigChangeBus } from './config-change-bus';
import { ConfigSync } from './config-sync';
import { KeyRecord, UserRecord, toKeyRecord, toUserRecord } from './key-record';
import { ReloadTotals, ReloadTracker } from './reload-tracker';

/**
 * The gateway's in-memory copy of keys, users and provider settings. The proxy reads it on every
 * request and never queries the database; admin writes reach it through the change bus, and
 * a periodic full resync repairs anything a lost message left stale.
 */
/** What the snapshot holds; a full reload builds a new one and swaps it in. */
interface SnapshotView {
  /** Keys by their HMAC hash: the one lookup of almost every request. */
  keysByHash: Map<string, KeyRecord>;
  /** Keys still stored as a SHA-256, by it, until their first use upgrades them. */
  legacyKeysByHash: Map<string, KeyRecord>;
  keysById: Map<string, KeyRecord>;
  settings: Map<string, ResolvedProviderSetting>;
  /** Settings whose credentials this ENCRYPTION_KEY cannot decrypt: out of `settings`, known apart. */
  unreadableSettings: Set<string>;
  usersByUserId: Map<string, UserRecord>;
  userIdById: Map<string, string>;
}

/** The tables the snapshot reads what changed of. */
type PolledEntity = ConfigEntity.Key | ConfigEntity.User | ConfigEntity.ProviderSetting;

const emptyView = (): SnapshotView => ({ keysByHash: new Map(), legacyKeysByHash: new Map(), keysById: new Map(), settings: new Map(), unreadableSettings: new Set(), usersByUserId: new Map(), userIdById: new Map() });

@Injectable()
export class ConfigSnapshotService implements OnModuleInit, OnApplicationShutdown {
  private view = emptyView();
  private lastFullLoadAt: number | null = null;
  /**
   * Announcements are applied while a full reload reads (see ConfigSync). These say which were
   * applied after a reload began, so that it keeps their results: counted in order, and the
   * count at each entity's last one.
   */
  private appliedCount = 0;
  private readonly appliedAt = new Map<string, { change: ConfigChange; at: number }>();
  private readonly sync: ConfigSync;
  private readonly reloads = new ReloadTracker();
  /** The newest updated_at read of each table: the next read of what changed starts there. */
  private readonly newest: Record<PolledEntity, Date | null> = { [ConfigEntity.Key]: null, [ConfigEntity.User]: null, [ConfigEntity.ProviderSetting]: null };

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
      reloadOne: (change) => this.reloads.track('announced', () => this.apply(change)),
      reloadAll: () => this.reloads.track('full', () => this.loadAll()),
      // Everything, rarely (a large table's full read costs the proxy a few slow requests);
      // what changed, every resync interval, and every poll while announcements do not arrive.
      intervalMs: env.configFullReloadIntervalMs,
      reloadChanged: () => this.reloads.track('changed', () => this.loadChanged()),
      changedIntervalMs: env.configResyncIntervalMs,
      pollMs: env.configPollIntervalMs,
      logger: logger.child({ context: 'ConfigSnapshot' }),
      // The snapshot keeps serving its last good state; the next resync tries again.
      failureMessage: 'config snapshot reload failed',
      applyChangesDuringFullReload: true,
    });
  }

  onModuleInit(): Promise<void> {
    return this.sync.start();
  }

  onApplicationShutdown(): void {
    this.sync.stop();
    void this.bus.close();
  }

  /** The key stored under this HMAC hash (ApiKeyHasher). */
  getKeyByHash(keyHash: string): KeyRecord | null {
    return this.view.keysByHash.get(keyHash) ?? null;
  }

  /** The key still stored under this SHA-256 (legacyKeyHash); never one stored as an HMAC. */
  getLegacyKeyByHash(sha256: string): KeyRecord | null {
    return this.view.legacyKeysByHash.get(sha256) ?? null;
  }

  /** Whether any key is still stored the legacy way: once none is, a miss needs no second hash. */
  hasLegacyKeys(): boolean {
    return this.view.legacyKeysByHash.size > 0;
  }

  getKeyById(keyId: string): KeyRecord | null {
    return this.view.keysById.get(keyId) ?? null;
  }

  getSetting(id: string): ResolvedProviderSetting | null {
    return this.view.settings.get(id) ?? null;
  }

  /** Whether the setting exists but its credentials cannot be decrypted (see ProviderSettingsService.loadResolved). */
  isSettingUnreadable(id: string): boolean {
    return this.view.unreadableSettings.has(id);
  }

  /** By the client's own user id (the OpenAI `user` field or x-user-id). */
  getUser(userId: string): UserRecord | null {
    return this.view.usersByUserId.get(userId) ?? null;
  }

  /**
   * For the gateway's metrics: how much it holds, when it last reloaded everything, and how its
   * reloads went (failures, the last read that succeeded).
   */
  stats(): { keys: number; providerSettings: number; unreadableProviderSettings: number; users: number; lastFullLoadAt: number | null; reloads: ReloadTotals } {
    return {
      keys: this.view.keysById.size,
      providerSettings: this.view.settings.size,
      unreadableProviderSettings: this.view.unreadableSettings.size,
      users: this.view.usersByUserId.size,
      lastFullLoadAt: this.lastFullLoadAt,
      reloads: this.reloads.totals(),
    };
  }

  /**
   * Reloads everything; runs at start, on a timer and after the bus reconnects. Keys and users
   * are read page by page, so a large table never holds the event loop for long.
   */
  private async loadAll(): Promise<void> {
    const readBegan = this.appliedCount;
    const next = emptyView();
    const newest = { ...this.newest };
    const [settings] = await Promise.all([
      this.providerSettings.loadResolved(),
      (async () => {
        newest[ConfigEntity.Key] = null;
        for await (const page of this.keys.loadAll()) {
          for (const key of page) putKey(next, key.keyId, toKeyRecord(key));
          newest[ConfigEntity.Key] = newestUpdate(newest[ConfigEntity.Key], page);
        }
      })(),
      (async () => {
        newest[ConfigEntity.User] = null;
        for await (const page of this.users.loadAll()) {
          for (const user of page) putUser(next, user.id, toUserRecord(user));
          newest[ConfigEntity.User] = newestUpdate(newest[ConfigEntity.User], page);
        }
      })(),
    ]);
    newest[ConfigEntity.ProviderSetting] = settings.newestUpdate;
    for (const setting of settings.readable) next.settings.set(setting.id, setting);
    for (const id of settings.unreadableIds) next.unreadableSettings.add(id);
    // An announcement applied after this read began is at least as new as what it read of that
    // entity: its result stays. (One applied before is in the read.)
    for (const [entry, { change, at }] of this.appliedAt) {
      if (at <= readBegan) this.appliedAt.delete(entry);
      else this.carryOver(change, next);
    }
    this.view = next;
    Object.assign(this.newest, newest);
    this.lastFullLoadAt = Date.now();
  }

  /**
   * Applies the keys, users and settings changed since the last read (by updated_at, see
   * rowsChangedSince): a change whose announcement never arrived is seen within a poll. Until a
   * full load has succeeded there is nothing to add to: that is done instead.
   */
  private async loadChanged(): Promise<void> {
    if (this.lastFullLoadAt === null) return this.loadAll();
    const readBegan = this.appliedCount;
    const [keys, users, settings] = await Promise.all([
      this.keys.changedSince(this.newest[ConfigEntity.Key]),
      this.users.changedSince(this.newest[ConfigEntity.User]),
      this.providerSettings.loadResolvedChangedSince(this.newest[ConfigEntity.ProviderSetting]),
    ]);
    // As in loadAll: an entity announced and applied after this read began keeps that result.
    const readIsNewest = (entity: PolledEntity, id: string) => (this.appliedAt.get(configChangeKey({ entity, id }))?.at ?? 0) <= readBegan;
    for (const key of keys) if (readIsNewest(ConfigEntity.Key, key.keyId)) putKey(this.view, key.keyId, toKeyRecord(key));
    for (const user of users) if (readIsNewest(ConfigEntity.User, user.id)) putUser(this.view, user.id, toUserRecord(user));
    for (const setting of settings.readable) if (readIsNewest(ConfigEntity.ProviderSetting, setting.id)) putSetting(this.view, setting.id, setting);
    for (const id of settings.unreadableIds) if (readIsNewest(ConfigEntity.ProviderSetting, id)) putSetting(this.view, id, null, true);
    for (const [entry, { at }] of this.appliedAt) if (at <= readBegan) this.appliedAt.delete(entry);
    this.newest[ConfigEntity.Key] = newestUpdate(this.newest[ConfigEntity.Key], keys);
    this.newest[ConfigEntity.User] = newestUpdate(this.newest[ConfigEntity.User], users);
    this.newest[ConfigEntity.ProviderSetting] = later(this.newest[ConfigEntity.ProviderSetting], settings.newestUpdate);
  }

  private async apply(change: ConfigChange): Promise<void> {
    switch (change.entity) {
      case ConfigEntity.Key: {
        const key = await this.keys.getById(change.id);
        putKey(this.view, change.id, key ? toKeyRecord(key) : null);
        break;
      }
      case ConfigEntity.User: {
        const user = await this.users.getById(change.id);
        putUser(this.view, change.id, user ? toUserRecord(user) : null);
        break;
      }
      case ConfigEntity.ProviderSetting: {
        const loaded = await this.providerSettings.loadResolved([change.id]);
        putSetting(this.view, change.id, loaded.readable[0] ?? null, loaded.unreadableIds.length > 0);
        break;
      }
      default:
        return;
    }
    this.appliedCount += 1;
    this.appliedAt.set(configChangeKey(change), { change, at: this.appliedCount });
  }

  /** Copies the current view's state of one announced entity into a view about to replace it. */
  private carryOver(change: ConfigChange, next: SnapshotView): void {
    const current = this.view;
    switch (change.entity) {
      case ConfigEntity.Key:
        return putKey(next, change.id, current.keysById.get(change.id) ?? null);
      case ConfigEntity.User: {
        const userId = current.userIdById.get(change.id);
        return putUser(next, change.id, userId === undefined ? null : (current.usersByUserId.get(userId) ?? null));
      }
      case ConfigEntity.ProviderSetting:
        return putSetting(next, change.id, current.settings.get(change.id) ?? null, current.unreadableSettings.has(change.id));
    }
  }
}

/**
 * Sets (or, with null, removes) a key in a view, under its hash in the map of its scheme, dropping
 * its previous entry: an upgrade moves a key from the legacy map to the other.
 */
function putKey(view: SnapshotView, keyId: string, key: KeyRecord | null): void {
  const previous = view.keysById.get(keyId);
  if (previous) keysByScheme(view, previous).delete(previous.keyHash);
  view.keysById.delete(keyId);
  if (!key) return;
  keysByScheme(view, key).set(key.keyHash, key);
  view.keysById.set(keyId, key);
}

function keysByScheme(view: SnapshotView, key: KeyRecord): Map<string, KeyRecord> {
  return key.keyHashScheme === KeyHashScheme.Sha256 ? view.legacyKeysByHash : view.keysByHash;
}

/** Sets (or removes) a user in a view, under the client's user id, dropping a previous one. */
function putUser(view: SnapshotView, id: string, user: UserRecord | null): void {
  putIndexed(view.usersByUserId, view.userIdById, id, user && { lookup: user.userId, record: user });
}

/**
 * A record found by a lookup value (a user's client id) that can change while its
 * id stays: the id remembers the value it was stored under, so a change drops the old entry.
 */
function putIndexed<T>(byLookup: Map<string, T>, lookupById: Map<string, string>, id: string, entry: { lookup: string; record: T } | null): void {
  const previous = lookupById.get(id);
  if (previous !== undefined) byLookup.delete(previous);
  lookupById.delete(id);
  if (!entry) return;
  byLookup.set(entry.lookup, entry.record);
  lookupById.set(id, entry.lookup);
}

/** Sets (or removes) a setting; `unreadable`: it exists, but its credentials cannot be decrypted. */
function putSetting(view: SnapshotView, id: string, setting: ResolvedProviderSetting | null, unreadable = false): void {
  if (setting) view.settings.set(id, setting);
  else view.settings.delete(id);
  if (unreadable && !setting) view.unreadableSettings.add(id);
  else view.unreadableSettings.delete(id);
}
