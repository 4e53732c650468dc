import { Column, CreateDateColumn, UpdateDateColumn } from 'typeorm';
import { numericTransformer } from './numeric.transformer';

export interface AllowedPath {
  path: string;
  method: string;
}

/**
 * The columns keys and users share (both tables have them under the same names): tags,
 * revocation, rate and cost limits, ttl, allowed paths and spend. Each entity extends this and
 * adds its own identity and fields (TypeORM copies an abstract parent's columns into each table).
 */
export abstract class AccessScopeColumns {
  @Column({ type: 'text', array: true, default: [] })
  tags: string[];

  @Column({ type: 'boolean', default: false })
  revoked: boolean;

  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason: string | null;

  @Column({ name: 'cost_limit_in_usd', type: 'numeric', nullable: true, transformer: numericTransformer })
  costLimitInUsd: number | null;

  @Column({ name: 'cost_limit_in_usd_over_time', type: 'numeric', nullable: true, transformer: numericTransformer })
  costLimitInUsdOverTime: number | null;

  @Column({ name: 'cost_limit_in_usd_unit', type: 'text', nullable: true })
  costLimitInUsdUnit: string | null;

  @Column({ name: 'rate_limit_over_time', type: 'integer', nullable: true })
  rateLimitOverTime: number | null;

  @Column({ name: 'rate_limit_unit', type: 'text', nullable: true })
  rateLimitUnit: string | null;

  @Column({ type: 'text', nullable: true })
  ttl: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'allowed_paths', type: 'jsonb', default: [] })
  allowedPaths: AllowedPath[];

  /**
   * Written only by the worker, as an increment in SQL (spent_usd = spent_usd + cost). Never by
   * save(): an admin update of an entity loaded before the worker's last batch would write the
   * older total back, and lifetime budgets are rebuilt from this column.
   */
  @Column({ name: 'spent_usd', type: 'numeric', default: 0, transformer: numericTransformer, update: false })
  spentUsd: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
