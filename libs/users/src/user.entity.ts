import { numericTransformer } from '@tollgate/database';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export interface UserAllowedPath {
  path: string;
  method: string;
}

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'text', unique: true })
  userId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', array: true, default: [] })
  tags: string[];

  @Column({ name: 'key_ids', type: 'uuid', array: true, default: [] })
  keyIds: string[];

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
  allowedPaths: UserAllowedPath[];

  @Column({ name: 'allowed_models', type: 'text', array: true, default: [] })
  allowedModels: string[];

  @Column({ name: 'spent_usd', type: 'numeric', default: 0, transformer: numericTransformer })
  spentUsd: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
