import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { RouteConfig } from './route-config';

@Entity({ name: 'custom_providers' })
export class CustomProviderEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Unique, URL-safe, lower case: the proxy path segment and the events' `provider`. */
  @Column({ type: 'text', unique: true })
  provider: string;

  @Column({ name: 'route_configs', type: 'jsonb', default: [] })
  routeConfigs: RouteConfig[];

  /** Header carrying the credential; null: `Authorization: Bearer`. */
  @Column({ name: 'authentication_param', type: 'text', nullable: true })
  authenticationParam: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
