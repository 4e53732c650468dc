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
}

function cacheKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}
