import { numericTransformer } from '@tollgate/database';
import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An admin's price for a model, taking precedence over the bundled price table. */
@Entity({ name: 'model_prices' })
export class ModelPriceEntity {
  @PrimaryColumn({ type: 'text' })
  provider: string;

  @PrimaryColumn({ type: 'text' })
  model: string;

  @Column({ name: 'input_usd_per_million_tokens', type: 'numeric', transformer: numericTransformer })
  inputUsdPerMillionTokens: number;

  @Column({ name: 'output_usd_per_million_tokens', type: 'numeric', transformer: numericTransformer })
  outputUsdPerMillionTokens: number;

  /** Prompt tokens read from the provider's cache; null: at the input price. */
  @Column({ name: 'cache_read_usd_per_million_tokens', type: 'numeric', nullable: true, transformer: numericTransformer })
  cacheReadUsdPerMillionTokens: number | null;

  /** Prompt tokens written to the provider's cache; null: at the input price. */
  @Column({ name: 'cache_write_usd_per_million_tokens', type: 'numeric', nullable: true, transformer: numericTransformer })
  cacheWriteUsdPerMillionTokens: number | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
