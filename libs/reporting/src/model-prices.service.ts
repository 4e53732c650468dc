import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ModelPriceEntity } from './model-price.entity';
import { PriceOverride } from './cost-calculator';

/** Admin price overrides, held in memory for the recorder's lookups. */
@Injectable()
export class ModelPricesService {
  private cache = new Map<string, PriceOverride>();

  constructor(@InjectRepository(ModelPriceEntity) private readonly repository: Repository<ModelPriceEntity>) {}

  async list(): Promise<ModelPriceEntity[]> {
    return this.repository.find({ order: { provider: 'ASC', model: 'ASC' } });
  }

  async upsert(price: Omit<ModelPriceEntity, 'updatedAt'>): Promise<ModelPriceEntity> {
    await this.repository.upsert(price, ['provider', 'model']);
    return this.repository.findOneByOrFail({ provider: price.provider, model: price.model });
  }

  async remove(provider: string, model: string): Promise<boolean> {
    const result = await this.repository.delete({ provider, model });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Reloads the overrides; the recorder calls it once per batch (one small query), so an
   * admin's price change applies from the next batch on, in every worker.
   */
  async refresh(): Promise<void> {
    const rows = await this.repository.find();
    this.cache = new Map(rows.map((row) => [cacheKey(row.provider, row.model), row]));
  }

  lookup(provider: string, model: string): PriceOverride | undefined {
    return this.cache.get(cacheKey(provider, model));
  }
}

function cacheKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}
