import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ModelPriceEntity } from './model-price.entity';
import { PriceOverride } from './cost-calculator';

const REFRESH_MS = 10_000;

/** Admin price overrides, cached in memory and refreshed in the background. */
@Injectable()
export class ModelPricesService {
  private cache = new Map<string, PriceOverride>();
  private loadedAt = 0;

  constructor(@InjectRepository(ModelPriceEntity) private readonly repository: Repository<ModelPriceEntity>) {}

  async list(): Promise<ModelPriceEntity[]> {
    return this.repository.find({ order: { provider: 'ASC', model: 'ASC' } });
  }

  async upsert(price: Omit<ModelPriceEntity, 'updatedAt'>): Promise<ModelPriceEntity> {
    await this.repository.upsert(price, ['provider', 'model']);
    this.loadedAt = 0;
    return this.repository.findOneByOrFail({ provider: price.provider, model: price.model });
  }

  async remove(provider: string, model: string): Promise<boolean> {
    const result = await this.repository.delete({ provider, model });
    this.loadedAt = 0;
    return (result.affected ?? 0) > 0;
  }

  /** Reloads overrides when stale; called once per batch by the recorder. */
  async refreshIfStale(): Promise<void> {
    if (Date.now() - this.loadedAt < REFRESH_MS) return;
    const rows = await this.repository.find();
    this.cache = new Map(rows.map((row) => [cacheKey(row.provider, row.model), row]));
    this.loadedAt = Date.now();
  }

  lookup(provider: string, model: string): PriceOverride | undefined {
    return this.cache.get(cacheKey(provider, model));
  }
}

function cacheKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}
