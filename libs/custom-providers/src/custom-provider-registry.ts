import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigEntity, ENV, Env, LOGGER, Logger } from '@tollgate/common';
import { CONFIG_CHANGE_BUS, ConfigChangeBus, ConfigSync, ReloadTotals, ReloadTracker } from '@tollgate/config-cache';
import { CustomProviderRecord, toCustomProviderRecord } from './custom-provider-record';
import { CustomProviderEntity } from './custom-provider.entity';
import { CustomProvidersService } from './custom-providers.service';

/**
 * The gateway's in-memory copy of the custom providers, read on every custom-provider request
 * (never a database query on the request path). Admin writes arrive over the config-change bus;
 * a periodic full reload (CONFIG_RESYNC_INTERVAL_MS) and one after every bus reconnect repair
 * anything a lost message left stale.
 */
@Injectable()
export class CustomProviderRegistry implements OnModuleInit, OnApplicationShutdown {
  private byName = new Map<string, CustomProviderRecord>();
  private nameById = new Map<string, string>();
  private readonly sync: ConfigSync;
  private readonly reloads = new ReloadTracker();
  private readonly logger: Logger;

  constructor(
    private readonly providers: CustomProvidersService,
    @Inject(CONFIG_CHANGE_BUS) bus: ConfigChangeBus,
    @Inject(ENV) env: Env,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'CustomProviders' });
    this.sync = new ConfigSync(bus, {
      entities: [ConfigEntity.CustomProvider],
      reloadOne: (change) => this.reloads.track('announced', () => this.reloadOne(change.id)),
      reloadAll: () => this.reloads.track('full', () => this.loadAll()),
      intervalMs: env.configResyncIntervalMs,
      logger: this.logger,
      // The registry keeps serving its last good state; the next resync tries again.
      failureMessage: 'custom provider reload failed',
    });
  }

  onModuleInit(): Promise<void> {
    return this.sync.start();
  }

  onApplicationShutdown(): void {
    this.sync.stop();
  }

  /** For the gateway's metrics: how its reloads went (a failed one leaves the last good state serving). */
  reloadTotals(): ReloadTotals {
    return this.reloads.totals();
  }

  /** By the name in the proxy path. */
  get(name: string): CustomProviderRecord | null {
    return this.byName.get(name.toLowerCase()) ?? null;
  }

  private async loadAll(): Promise<void> {
    const rows = await this.providers.list();
    const byName = new Map<string, CustomProviderRecord>();
    const nameById = new Map<string, string>();
    for (const row of rows) {
      const record = this.compile(row);
      byName.set(record.name, record);
      nameById.set(record.id, record.name);
    }
    this.byName = byName;
    this.nameById = nameById;
  }

  private async reloadOne(id: string): Promise<void> {
    const row = await this.providers.getById(id);
    const previous = this.nameById.get(id);
    if (previous) this.byName.delete(previous);
    if (row) {
      const record = this.compile(row);
      this.byName.set(record.name, record);
      this.nameById.set(id, record.name);
    } else {
      this.nameById.delete(id);
    }
  }

  private compile(row: CustomProviderEntity): CustomProviderRecord {
    const { record, skipped } = toCustomProviderRecord(row);
    if (skipped.length > 0) this.logger.warn({ provider: row.provider, paths: skipped }, 'custom provider routes skipped: their locations do not parse');
    return record;
  }
}
