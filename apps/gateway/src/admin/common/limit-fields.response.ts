import { LimitFields, toUnixSeconds } from '@tollgate/common';

/**
 * The limit fields keys and users share, as the admin API shows them. An unset limit is shown as
 * BricksLLM shows it, its zero value (0, ""), which also means "none" when written back: the
 * reference types these fields float64, int and string, and its clients read them as such.
 * expiresAt is Tollgate's own, and absent when the ttl is.
 */
export function toLimitFieldsResponse(entity: Omit<LimitFields, 'tags'>) {
  return {
    costLimitInUsd: entity.costLimitInUsd ?? 0,
    costLimitInUsdOverTime: entity.costLimitInUsdOverTime ?? 0,
    costLimitInUsdUnit: entity.costLimitInUsdUnit ?? '',
    rateLimitOverTime: entity.rateLimitOverTime ?? 0,
    rateLimitUnit: entity.rateLimitUnit ?? '',
    ttl: entity.ttl ?? '',
    expiresAt: entity.expiresAt ? toUnixSeconds(entity.expiresAt) : undefined,
    allowedPaths: entity.allowedPaths,
  };
}
