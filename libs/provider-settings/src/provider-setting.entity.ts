import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Non-secret connection options; stored in the clear and safe to show. */
export interface ProviderSettingOptions {
  url?: string;
  resourceName?: string;
  apiVersion?: string;
}

@Entity({ name: 'provider_settings' })
export class ProviderSettingEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text', default: '' })
  name: string;

  @Column({ type: 'text' })
  provider: string;

  @Column({ type: 'jsonb', default: {} })
  options: ProviderSettingOptions;

  @Column({ name: 'credentials_ciphertext', type: 'text' })
  credentialsCiphertext: string;

  @Column({ name: 'allowed_models', type: 'text', array: true, default: [] })
  allowedModels: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
