import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { CONFIG_CHANGES, ConfigChangeNotifier, ConfigEntity } from '@tollgate/common';
import { Repository } from 'typeorm';
import { ModelPriceEntity } from './model-price.entity';
import { PriceOverride } from './cost-calculator';

/**
 * Admin price overrides, held in memory for lookups: the worker prices events with them, the
 * gateway checks budgets with them. A write announces itself on the config bus, so every
 * gateway reloads at once (the worker has no bus: it reloads before each batch).
 */
@Injectable()
export class ModelPricesService {
  private cache = new Map<string, PriceOverride>();
  /** Per provider, the models with an override: snapshotsOf reads them. */
  private modelsByProvider = new Map<string, string[]>();
  /** Reloads run one after another, so an older read never replaces a newer one. */
  private reloads: Promise<void> = Promise.resolve();

  constructor(
    @InjectRepository(ModelPriceEntity) private readonly repository: Repository<ModelPriceEntity>,
    @Optional() @Inject(CONFIG_CHANGES) private readonly changes?: ConfigChangeNotifier,
  ) {}

  async list(): Promise<ModelPriceEntity[]> {
    return this.repository.find({ order: { provider: 'ASC', model: 'ASC' } });
  }

  async upsert(price: Omit<ModelPriceEntity, 'updatedAt'>): Promise<ModelPriceEntity> {
    await this.repository.upsert(price, ['provider', 'model']);
    await this.announce(price.provider, price.model);
    return this.repository.findOneByOrFail({ provider: price.provider, model: price.model });
  }

  async remove(provider: string, model: string): Promise<boolean> {
    const result = await this.repository.delete({ provider, model });
    const removed = (result.affected ?? 0) > 0;
    if (removed) await this.announce(provider, model);
    return removed;
  }

  /**
   * Reloads the overrides (one small query). The recorder calls it once per batch, so a price
   * change applies from the next batch on, in every worker; gateways call it when the bus
   * announces a change, and on their resync timer.
   */
  refresh(): Promise<void> {
    const reload = this.reloads.then(async () => {
      const rows = await this.repository.find();
      this.cache = new Map(rows.map((row) => [cacheKey(row.provider, row.model), row]));
      const models = new Map<string, string[]>();
      for (const row of rows) models.set(row.provider, [...(models.get(row.provider) ?? []), row.model]);
      this.modelsByProvider = models;
    });
    this.reloads = reload.catch(() => undefined);
    return reload;
  }

  private async announce(provider: string, model: string): Promise<void> {
    await this.changes?.publish({ entity: ConfigEntity.ModelPrice, id: cacheKey(provider, model) });
  }

  lookup(provider: string, model: string): PriceOverride | undefined {
    return this.cache.get(cacheKey(provider, model));
  }

  /**
   * Models with an override that may answer a request for `model`: its snapshots, named after it
   * (gpt-4o-mini-2024-07-18 for gpt-4o-mini, gemini-1.5-flash-002, claude-3-5-sonnet-20241022 for
   * claude-3-5-sonnet-latest, Vertex's claude-3-5-sonnet@20241022). A provider answers under
   * such a name, and the event is priced at its override.
   */
  snapshotsOf(provider: string, model: string): string[] {
    return (this.modelsByProvider.get(provider) ?? []).filter((name) => isSnapshotOf(name, model));
  }
}

/**
 * What a snapshot adds to its model's name: a date (-2024-07-18, -20241022, @20241022) or a
 * version number (-0613, -002). Not any suffix: o1-pro and gpt-4o-mini are other models.
 */
const SNAPSHOT_SUFFIX = /^[-@](\d{4}-\d{2}-\d{2}|\d{8}|\d{3,4})$/;

/** Whether `name` is a snapshot of `model` (of its stem, for a `-latest` alias). */
export function isSnapshotOf(name: string, model: string): boolean {
  const stem = model.endsWith('-latest') ? model.slice(0, -'-latest'.length) : model;
  return name.startsWith(stem) && SNAPSHOT_SUFFIX.test(name.slice(stem.length));
}

function cacheKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}
