import { numericTransformer } from '@tollgate/database';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export interface AllowedPath {
  path: string;
  method: string;
}

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'key_id' })
  keyId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'key_hash', type: 'text', unique: true })
  keyHash: string;

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

  @Column({ name: 'setting_ids', type: 'uuid', array: true, default: [] })
  settingIds: string[];

  @Column({ name: 'should_log_request', type: 'boolean', default: false })
  shouldLogRequest: boolean;

  @Column({ name: 'should_log_response', type: 'boolean', default: false })
  shouldLogResponse: boolean;

  @Column({ name: 'rotation_enabled', type: 'boolean', default: false })
  rotationEnabled: boolean;

  @Column({ name: 'policy_id', type: 'text', nullable: true })
  policyId: string | null;

  @Column({ name: 'is_key_not_hashed', type: 'boolean', default: false })
  isKeyNotHashed: boolean;

  @Column({ name: 'spent_usd', type: 'numeric', default: 0, transformer: numericTransformer })
  spentUsd: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
