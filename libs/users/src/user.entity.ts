import { AccessScopeColumns } from '@tollgate/database';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'users' })
export class UserEntity extends AccessScopeColumns {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'text', unique: true })
  userId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'key_ids', type: 'uuid', array: true, default: [] })
  keyIds: string[];

  @Column({ name: 'allowed_models', type: 'text', array: true, default: [] })
  allowedModels: string[];
}
