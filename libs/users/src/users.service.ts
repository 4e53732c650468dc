import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { pagesOf, rowsChangedSince, saveOrConflict, updateLocked } from '@tollgate/database';
import {
  CONFIG_CHANGES,
  ConfigChangeNotifier,
  ConfigEntity,
  GatewayError,
  GatewayErrorCode,
  LimitFieldsInput,
  applyLimitFields,
  isUuid,
} from '@tollgate/common';
import { KeysService } from '@tollgate/keys';
import { Repository } from 'typeorm';
import { UserEntity } from './user.entity';

export interface UserFieldsInput extends LimitFieldsInput {
  name?: string;
  keyIds?: string[];
  allowedModels?: string[];
  revoked?: boolean;
  revokedReason?: string | null;
}

export interface CreateUserInput extends UserFieldsInput {
  name: string;
  /** Client-defined id; generated when absent. */
  userId?: string;
}

export interface UserFilter {
  userIds?: string[];
  tags?: string[];
  keyIds?: string[];
  offset?: number;
  limit?: number;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly repository: Repository<UserEntity>,
    @Inject(CONFIG_CHANGES) private readonly changes: ConfigChangeNotifier,
    private readonly keys: KeysService,
  ) {}

  async create(input: CreateUserInput): Promise<UserEntity> {
    await this.assertKeysExist(input.keyIds);
    const entity = this.repository.create({ userId: input.userId ?? crypto.randomUUID(), name: input.name });
    applyUserFields(entity, input, new Date());
    const saved = await this.save(entity);
    await this.changes.publish({ entity: ConfigEntity.User, id: saved.id });
    return saved;
  }

  async update(id: string, input: UserFieldsInput): Promise<UserEntity> {
    // Checked before the row lock: a second pooled connection inside it could run the pool dry.
    await this.assertKeysExist(input.keyIds);
    const saved = isUuid(id)
      ? await updateLocked(this.repository, { id }, (existing, repository) => {
          applyUserFields(existing, input, new Date());
          return this.save(existing, repository);
        })
      : null;
    if (!saved) throw new GatewayError(GatewayErrorCode.NotFound, `user ${id} not found`);
    // The stored id: the path's may be in upper case, and replicas look entries up by the stored form.
    await this.changes.publish({ entity: ConfigEntity.User, id: saved.id });
    return saved;
  }

  /** PATCH /api/users?userId=&tags=: updates every user matching the filter. */
  async updateMatching(filter: { userId?: string; tags?: string[] }, input: UserFieldsInput): Promise<UserEntity[]> {
    if (!filter.userId && (!filter.tags || filter.tags.length === 0)) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'userId or tags is required to select the users to update', 'userId');
    }
    await this.assertKeysExist(input.keyIds);
    // One transaction, so the filter's users change together or not at all, on rows locked as they
    // are read: read unlocked, a user revoked meanwhile (PATCH /api/users/:id) was written back
    // unrevoked with the rest of the stale row. Locked in one total order (creation, then id), so
    // two overlapping filters wait for each other instead of deadlocking. In creation order too
    // because the admin API answers with the first (see UsersController.updateMatching).
    const saved = await this.repository.manager.transaction(async (manager) => {
      const locked = manager.getRepository(UserEntity);
      const query = locked.createQueryBuilder('user').orderBy('user.created_at', 'ASC').addOrderBy('user.id', 'ASC').setLock('pessimistic_write');
      if (filter.userId) query.andWhere('user.user_id = :userId', { userId: filter.userId });
      if (filter.tags && filter.tags.length > 0) query.andWhere('user.tags && :tags', { tags: filter.tags });
      const users = await query.getMany();
      if (users.length === 0) throw new GatewayError(GatewayErrorCode.NotFound, 'no user matches');
      const now = new Date();
      for (const user of users) applyUserFields(user, input, now);
      return locked.save(users);
    });
    await Promise.all(saved.map((user) => this.changes.publish({ entity: ConfigEntity.User, id: user.id })));
    return saved;
  }

  async list(filter: UserFilter): Promise<UserEntity[]> {
    const query = this.repository.createQueryBuilder('user').orderBy('user.created_at', 'ASC').addOrderBy('user.id', 'ASC');
    if (filter.userIds && filter.userIds.length > 0) query.andWhere('user.user_id IN (:...userIds)', { userIds: filter.userIds });
    if (filter.tags && filter.tags.length > 0) query.andWhere('user.tags && :tags', { tags: filter.tags });
    if (filter.keyIds && filter.keyIds.length > 0) query.andWhere('user.key_ids && :keyIds::uuid[]', { keyIds: filter.keyIds.filter(isUuid) });
    if (filter.offset !== undefined) query.skip(filter.offset);
    if (filter.limit !== undefined) query.take(filter.limit);
    return query.getMany();
  }

  /** Every user, page by page (see pagesOf). */
  loadAll(): AsyncGenerator<UserEntity[]> {
    return pagesOf(this.repository, 'id');
  }

  /** The users changed since a previous read's newest updated_at (see rowsChangedSince). */
  changedSince(since: Date | null): Promise<UserEntity[]> {
    return rowsChangedSince(this.repository, since);
  }

  async getById(id: string): Promise<UserEntity | null> {
    return isUuid(id) ? this.repository.findOneBy({ id }) : null;
  }

  /**
   * A user may use only the keys it lists: one that names no key (a typo) would lock the user out
   * of every key, with a 200 for the admin.
   */
  private async assertKeysExist(keyIds: string[] | undefined): Promise<void> {
    if (!keyIds || keyIds.length === 0) return;
    // Uuids compare without case (as Postgres compares them).
    if ((await this.keys.countExisting(keyIds)) !== new Set(keyIds.map((id) => id.toLowerCase())).size) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'keyIds names a key that does not exist', 'keyIds');
    }
  }

  private save(entity: UserEntity, repository = this.repository): Promise<UserEntity> {
    return saveOrConflict(repository, entity, `a user with userId ${entity.userId} already exists`, 'userId');
  }
}

function applyUserFields(entity: UserEntity, input: UserFieldsInput, now: Date): void {
  applyLimitFields(entity, input, now);
  if (input.name !== undefined) entity.name = input.name;
  if (input.keyIds !== undefined) entity.keyIds = input.keyIds;
  if (input.allowedModels !== undefined) entity.allowedModels = input.allowedModels;
  if (input.revoked !== undefined) entity.revoked = input.revoked;
  // Restored without a new reason: the old one no longer applies (as for keys).
  if (input.revoked === false && input.revokedReason === undefined) entity.revokedReason = null;
  if (input.revokedReason !== undefined) entity.revokedReason = input.revokedReason;
}

