import { AllowedPath, ApiKeyEntity } from '@tollgate/keys';

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
