import { AllowedPath, ApiKeyEntity } from '@tollgate/keys';
import { UserEntity } from '@tollgate/users';

/** The proxy's view of a key: plain data, derived once per change, read on every request. */
export interface KeyRecord {
  keyId: string;
  name: string;
  keyHash: string;
  tags: string[];
  revoked: boolean;
  revokedReason: string | null;
  /** Epoch milliseconds, or null for keys without a TTL. */
  expiresAt: number | null;
  settingIds: string[];
  allowedPaths: AllowedPath[];
  shouldLogRequest: boolean;
  shouldLogResponse: boolean;
  rotationEnabled: boolean;
  costLimitInUsd: number | null;
  costLimitInUsdOverTime: number | null;
  costLimitInUsdUnit: string | null;
  rateLimitOverTime: number | null;
  rateLimitUnit: string | null;
}

export function toKeyRecord(entity: ApiKeyEntity): KeyRecord {
  return {
    keyId: entity.keyId,
    name: entity.name,
    keyHash: entity.keyHash,
    tags: entity.tags,
    revoked: entity.revoked,
    revokedReason: entity.revokedReason,
    expiresAt: entity.expiresAt ? entity.expiresAt.getTime() : null,
    settingIds: entity.settingIds,
    allowedPaths: entity.allowedPaths,
    shouldLogRequest: entity.shouldLogRequest,
    shouldLogResponse: entity.shouldLogResponse,
    rotationEnabled: entity.rotationEnabled,
    costLimitInUsd: entity.costLimitInUsd,
    costLimitInUsdOverTime: entity.costLimitInUsdOverTime,
    costLimitInUsdUnit: entity.costLimitInUsdUnit,
    rateLimitOverTime: entity.rateLimitOverTime,
    rateLimitUnit: entity.rateLimitUnit,
  };
}

/** The proxy's view of a user (by the client's user id). */
export interface UserRecord {
  id: string;
  userId: string;
  keyIds: string[];
  revoked: boolean;
  revokedReason: string | null;
  expiresAt: number | null;
  allowedPaths: Array<{ path: string; method: string }>;
  allowedModels: string[];
  costLimitInUsd: number | null;
  costLimitInUsdOverTime: number | null;
  costLimitInUsdUnit: string | null;
  rateLimitOverTime: number | null;
  rateLimitUnit: string | null;
}

export function toUserRecord(entity: UserEntity): UserRecord {
  return {
    id: entity.id,
    userId: entity.userId,
    keyIds: entity.keyIds,
    revoked: entity.revoked,
    revokedReason: entity.revokedReason,
    expiresAt: entity.expiresAt ? entity.expiresAt.getTime() : null,
    allowedPaths: entity.allowedPaths,
    allowedModels: entity.allowedModels,
    costLimitInUsd: entity.costLimitInUsd,
    costLimitInUsdOverTime: entity.costLimitInUsdOverTime,
    costLimitInUsdUnit: entity.costLimitInUsdUnit,
    rateLimitOverTime: entity.rateLimitOverTime,
    rateLimitUnit: entity.rateLimitUnit,
  };
}
