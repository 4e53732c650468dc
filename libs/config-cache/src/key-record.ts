import { LimitFields } from '@tollgate/common';
import { ApiKeyEntity, KeyHashScheme } from '@tollgate/keys';
import { UserEntity } from '@tollgate/users';
import { normalizePath } from './path-normalizer';

/** An allowed path as the proxy matches it: path normalized, method upper-case. */
export interface AllowedPathRule {
  path: string;
  method: string;
}

/** What keys and users share on the request path: their status, paths and limits. */
interface AccessRecord {
  revoked: boolean;
  revokedReason: string | null;
  /** Epoch milliseconds, or null without a TTL. */
  expiresAt: number | null;
  /** Normalized once here, not on every request. */
  allowedPaths: AllowedPathRule[];
  costLimitInUsd: number | null;
  costLimitInUsdOverTime: number | null;
  costLimitInUsdUnit: string | null;
  rateLimitOverTime: number | null;
  rateLimitUnit: string | null;
}

function toAccessRecord(entity: LimitFields & { revoked: boolean; revokedReason: string | null }): AccessRecord {
  return {
    revoked: entity.revoked,
    revokedReason: entity.revokedReason,
    expiresAt: entity.expiresAt ? entity.expiresAt.getTime() : null,
    allowedPaths: entity.allowedPaths.map((entry) => ({ path: normalizePath(entry.path), method: entry.method.toUpperCase() })),
    costLimitInUsd: entity.costLimitInUsd,
    costLimitInUsdOverTime: entity.costLimitInUsdOverTime,
    costLimitInUsdUnit: entity.costLimitInUsdUnit,
    rateLimitOverTime: entity.rateLimitOverTime,
    rateLimitUnit: entity.rateLimitUnit,
  };
}

/** The proxy's view of a key: plain data, derived once per change, read on every request. */
export interface KeyRecord extends AccessRecord {
  keyId: string;
  name: string;
  keyHash: string;
  keyHashScheme: KeyHashScheme;
  tags: string[];
  settingIds: string[];
  shouldLogRequest: boolean;
  shouldLogResponse: boolean;
  rotationEnabled: boolean;
}

export function toKeyRecord(entity: ApiKeyEntity): KeyRecord {
  return {
    keyId: entity.keyId,
    name: entity.name,
    keyHash: entity.keyHash,
    keyHashScheme: entity.keyHashScheme,
    tags: entity.tags,
    settingIds: entity.settingIds,
    shouldLogRequest: entity.shouldLogRequest,
    shouldLogResponse: entity.shouldLogResponse,
    rotationEnabled: entity.rotationEnabled,
    ...toAccessRecord(entity),
  };
}

/** The proxy's view of a user (by the client's user id). */
export interface UserRecord extends AccessRecord {
  id: string;
  userId: string;
  keyIds: string[];
  allowedModels: string[];
}

export function toUserRecord(entity: UserEntity): UserRecord {
  return {
    id: entity.id,
    userId: entity.userId,
    keyIds: entity.keyIds,
    allowedModels: entity.allowedModels,
    ...toAccessRecord(entity),
  };
}
