import { LimitFields, toUnixSeconds } from '@tollgate/common';

/** The limit fields keys and users share, as the admin API shows them (unset fields omitted). */
export function toLimitFieldsResponse(entity: Omit<LimitFields, 'tags'>) {
  return {
    costLimitInUsd: entity.costLimitInUsd ?? undefined,
    costLimitInUsdOverTime: entity.costLimitInUsdOverTime ?? undefined,
    costLimitInUsdUnit: entity.costLimitInUsdUnit ?? undefined,
    rateLimitOverTime: entity.rateLimitOverTime ?? undefined,
    rateLimitUnit: entity.rateLimitUnit ?? undefined,
    ttl: entity.ttl ?? undefined,
    expiresAt: entity.expiresAt ? toUnixSeconds(entity.expiresAt) : undefined,
    allowedPaths: entity.allowedPaths,
  };
}
