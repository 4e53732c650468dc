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
  escapeLike,
  isUuid,
} from '@tollgate/common';
import { ProviderSettingsService } from '@tollgate/provider-settings';
import { Brackets, In, Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyHasher, KeyHashScheme, legacyKeyHash } from './key-hash';

/** Fields an admin may set; server-owned fields (id, hash, spend, timestamps) are absent. */
export interface KeyLimits extends LimitFieldsInput {
  settingIds?: string[];
  /** Deprecated by the reference in favour of settingIds; merged into it. */
  settingId?: string;
  shouldLogRequest?: boolean;
  shouldLogResponse?: boolean;
  rotationEnabled?: boolean;
  policyId?: string | null;
  /** Echoed only: keys are always stored hashed (see ApiKeyHasher). */
  isKeyNotHashed?: boolean;
}

export interface CreateKeyInput extends KeyLimits {
  name: string;
  key: string;
}

export interface UpdateKeyInput extends KeyLimits {
  name?: string;
  revoked?: boolean;
  revokedReason?: string | null;
}

export interface KeyListFilter {
  tags?: string[];
  keyIds?: string[];
  provider?: string;
}

export interface KeySearch {
  keyIds?: string[];
  tags?: string[];
  name?: string;
  revoked?: boolean;
  limit?: number;
  offset?: number;
  order?: 'asc' | 'desc';
  returnCount?: boolean;
}

@Injectable()
export class KeysService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly repository: Repository<ApiKeyEntity>,
    private readonly providerSettings: ProviderSettingsService,
    @Inject(CONFIG_CHANGES) private readonly changes: ConfigChangeNotifier,
    private readonly hasher: ApiKeyHasher,
  ) {}

  async create(input: CreateKeyInput): Promise<ApiKeyEntity> {
    const settingIds = mergeSettingIds(input.settingIds, input.settingId);
    await this.assertSettingsExist(settingIds);
    // The unique index sees a duplicate stored under the same scheme; one still stored the legacy
    // way has another hash, so it is looked for by that. (Its upgrade, running meanwhile, turns it
    // into the hash this insert then collides with.)
    if (await this.repository.existsBy({ keyHash: legacyKeyHash(input.key), keyHashScheme: KeyHashScheme.Sha256 })) {
      throw new GatewayError(GatewayErrorCode.Conflict, DUPLICATE_KEY, 'key');
    }
    const entity = this.repository.create({
      name: input.name,
      keyHash: this.hasher.hash(input.key),
      keyHashScheme: KeyHashScheme.HmacSha256,
      isKeyNotHashed: input.isKeyNotHashed ?? false,
      settingIds,
    });
    applyLimits(entity, input, new Date());
    const saved = await saveOrConflict(this.repository, entity, DUPLICATE_KEY, 'key');
    await this.changes.publish({ entity: ConfigEntity.Key, id: saved.keyId });
    return saved;
  }

  /**
   * Rewrites a key still stored as its legacy SHA-256 to the HMAC, once its plaintext has been
   * presented (the only time the HMAC can be computed). Guarded by the legacy hash and scheme:
   * idempotent, and of replicas doing it at once one updates the row and the others match
   * nothing. True when this call updated it; the replicas' snapshots then reload the key.
   */
  async upgradeLegacyHash(keyId: string, legacyHash: string, keyHash: string): Promise<boolean> {
    const result = await this.repository
      .createQueryBuilder()
      .update()
      .set({ keyHash, keyHashScheme: KeyHashScheme.HmacSha256 })
      .where('key_id = :keyId AND key_hash = :legacyHash AND key_hash_scheme = :legacy', { keyId, legacyHash, legacy: KeyHashScheme.Sha256 })
      .execute();
    if (result.affected !== 1) return false;
    await this.changes.publish({ entity: ConfigEntity.Key, id: keyId });
    return true;
  }

  async update(keyId: string, input: UpdateKeyInput): Promise<ApiKeyEntity> {
    const changesSettings = input.settingIds !== undefined || input.settingId !== undefined;
    const settingIds = changesSettings ? mergeSettingIds(input.settingIds, input.settingId) : null;
    // Checked before the row is locked: another table, and a second pooled connection that a
    // transaction holding the lock must not wait for.
    if (settingIds) await this.assertSettingsExist(settingIds);
    const saved = isUuid(keyId)
      ? await updateLocked(this.repository, { keyId }, async (existing, repository) => {
          if (settingIds) existing.settingIds = settingIds;
          if (input.name !== undefined) existing.name = input.name;
          if (input.isKeyNotHashed !== undefined) existing.isKeyNotHashed = input.isKeyNotHashed;
          if (input.revoked !== undefined) existing.revoked = input.revoked;
          // A restored key's callers must not be told why it was revoked.
          if (input.revoked === false && input.revokedReason === undefined) existing.revokedReason = null;
          if (input.revokedReason !== undefined) existing.revokedReason = input.revokedReason;
          applyLimits(existing, input, new Date());
          return repository.save(existing);
        })
      : null;
    if (!saved) throw new GatewayError(GatewayErrorCode.NotFound, `key ${keyId} not found`);
    // The stored id: the path's may be in upper case, and replicas look entries up by the stored form.
    await this.changes.publish({ entity: ConfigEntity.Key, id: saved.keyId });
    return saved;
  }

  /** How many of these key ids name a key (each id once; ids must be uuids). */
  async countExisting(keyIds: string[]): Promise<number> {
    return keyIds.length === 0 ? 0 : this.repository.countBy({ keyId: In([...new Set(keyIds.map((id) => id.toLowerCase()))]) });
  }

  async list(filter: KeyListFilter): Promise<ApiKeyEntity[]> {
    const query = this.repository.createQueryBuilder('key').orderBy('key.created_at', 'ASC');
    // Keys carrying every tag asked for, as BricksLLM matches them (tags @> ...).
    if (filter.tags && filter.tags.length > 0) query.andWhere('key.tags @> :tags', { tags: filter.tags });
    if (filter.keyIds) query.andWhere('key.key_id = ANY(:keyIds::uuid[])', { keyIds: filter.keyIds.filter(isUuid) });
    if (filter.provider) {
      query.andWhere(
        'EXISTS (SELECT 1 FROM provider_settings ps WHERE ps.id = ANY(key.setting_ids) AND ps.provider = :provider)',
        { provider: filter.provider },
      );
    }
    return query.getMany();
  }

  async search(search: KeySearch): Promise<{ keys: ApiKeyEntity[]; count?: number }> {
    const query = this.repository
      .createQueryBuilder('key')
      .orderBy('key.created_at', search.order === 'desc' ? 'DESC' : 'ASC')
      .addOrderBy('key.key_id', 'ASC');
    if (search.keyIds && search.keyIds.length > 0) {
      query.andWhere('key.key_id = ANY(:keyIds::uuid[])', { keyIds: search.keyIds.filter(isUuid) });
    }
    if (search.tags && search.tags.length > 0) query.andWhere('key.tags @> :tags', { tags: search.tags });
    if (search.name) {
      query.andWhere(new Brackets((q) => q.where("key.name ILIKE :name ESCAPE '\\'", { name: `%${escapeLike(search.name!)}%` })));
    }
    if (search.revoked !== undefined) query.andWhere('key.revoked = :revoked', { revoked: search.revoked });
    if (search.offset !== undefined) query.skip(search.offset);
    if (search.limit !== undefined) query.take(search.limit);
    if (search.returnCount) {
      const [keys, count] = await query.getManyAndCount();
      return { keys, count };
    }
    return { keys: await query.getMany() };
  }

  /** Every key, for the gateway's in-memory snapshot. */
  /** Every key, page by page (see pagesOf). */
  loadAll(): AsyncGenerator<ApiKeyEntity[]> {
    return pagesOf(this.repository, 'keyId');
  }

  /** The keys changed since a previous read's newest updated_at (see rowsChangedSince). */
  changedSince(since: Date | null): Promise<ApiKeyEntity[]> {
    return rowsChangedSince(this.repository, since);
  }

  async getById(keyId: string): Promise<ApiKeyEntity | null> {
    return isUuid(keyId) ? this.repository.findOneBy({ keyId }) : null;
  }

  /** A key reaches providers only through its settings: it keeps at least one, and each exists. */
  private async assertSettingsExist(settingIds: string[]): Promise<void> {
    if (settingIds.length === 0) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'settingIds must name at least one provider setting', 'settingIds');
    }
    const invalid = settingIds.filter((id) => !isUuid(id));
    const found = invalid.length > 0 ? -1 : await this.providerSettings.countExisting(settingIds);
    if (found !== settingIds.length) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'settingIds names a provider setting that does not exist', 'settingIds');
    }
  }
}

const DUPLICATE_KEY = 'a key with this value already exists';

function applyLimits(entity: ApiKeyEntity, input: KeyLimits, now: Date): void {
  applyLimitFields(entity, input, now);
  if (input.shouldLogRequest !== undefined) entity.shouldLogRequest = input.shouldLogRequest;
  if (input.shouldLogResponse !== undefined) entity.shouldLogResponse = input.shouldLogResponse;
  if (input.rotationEnabled !== undefined) entity.rotationEnabled = input.rotationEnabled;
  if (input.policyId !== undefined) {
    // Tollgate has no policies yet: a key bound to one would look protected (PII rules) and not
    // be. An id stored before this rule is kept when a client sends the key back unchanged.
    if (input.policyId !== null && input.policyId !== entity.policyId) {
      throw new GatewayError(
        GatewayErrorCode.InvalidRequest,
        'policyId: policies are not available in this version of Tollgate, so a key cannot be bound to one (it would look protected and not be); leave it out, or send null to remove one',
        'policyId',
      );
    }
    entity.policyId = input.policyId;
  }
}

/**
 * In lower case, as Postgres stores and shows uuids: an id sent twice in two cases is one setting
 * (it was counted as two and refused as one that does not exist), and the answer to a PATCH
 * shows the ids as every later read does.
 */
function mergeSettingIds(settingIds: string[] | undefined, settingId: string | undefined): string[] {
  return [...new Set([...(settingIds ?? []), ...(settingId ? [settingId] : [])].map((id) => id.toLowerCase()))];
}


