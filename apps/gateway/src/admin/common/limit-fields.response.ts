import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LimitFields, toUnixSeconds } from '@tollgate/common';

/** The limit fields of keys and users, as documented (their responses extend it). */
export class LimitFieldsResponse {
  @ApiProperty({ description: 'Total spend limit in USD; 0 when there is none.' }) costLimitInUsd: number;
  @ApiProperty({ description: 'Spend limit per costLimitInUsdUnit; 0 when there is none.' }) costLimitInUsdOverTime: number;
  @ApiProperty({ description: 'Unit of costLimitInUsdOverTime; "" when there is none.', enum: ['m', 'h', 'd', 'mo', ''] }) costLimitInUsdUnit: string;
  @ApiProperty({ type: 'integer', format: 'int32', description: 'Requests per rateLimitUnit; 0 when there is no rate limit.' }) rateLimitOverTime: number;
  @ApiProperty({ description: 'Unit of rateLimitOverTime; "" when there is no rate limit.', enum: ['s', 'm', 'h', 'd', ''] }) rateLimitUnit: string;
  @ApiProperty({ description: 'Time to live, as last given; "" when there is none.' }) ttl: string;
  @ApiPropertyOptional({ type: 'integer', format: 'int64', description: 'When the ttl runs out (unix seconds); absent without a ttl.' }) expiresAt?: number;
}

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
