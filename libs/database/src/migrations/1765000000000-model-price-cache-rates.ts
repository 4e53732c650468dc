import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An admin's price may name what the provider charges for prompt tokens read from and written
 * to its cache; without them, cached tokens cost the input price (as before).
 */
export class ModelPriceCacheRates1765000000000 implements MigrationInterface {
  name = 'ModelPriceCacheRates1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE model_prices
        ADD COLUMN cache_read_usd_per_million_tokens numeric(20, 10),
        ADD COLUMN cache_write_usd_per_million_tokens numeric(20, 10)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE model_prices DROP COLUMN cache_read_usd_per_million_tokens, DROP COLUMN cache_write_usd_per_million_tokens');
  }
}
