import { AccessScopeColumns } from '@tollgate/database';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { KeyHashScheme } from './key-hash';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity extends AccessScopeColumns {
  @PrimaryGeneratedColumn('uuid', { name: 'key_id' })
  keyId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'key_hash', type: 'text', unique: true })
  keyHash: string;

  /** How key_hash was computed; the database's default is the scheme of rows written before it existed. */
  @Column({ name: 'key_hash_scheme', type: 'text', default: KeyHashScheme.Sha256 })
  keyHashScheme: KeyHashScheme;

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
}
