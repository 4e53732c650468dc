import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { toUnixSeconds } from '@tollgate/common';
import { ApiKeyEntity } from '@tollgate/keys';
import { PathConfigDto } from './key.request';
import { toLimitFieldsResponse } from '../common/limit-fields.response';

/** A key as the admin API shows it: never the key itself nor its hash. */
export class KeyResponse {
  @ApiProperty({ description: 'Name of the API key.' }) name: string;
  @ApiProperty({ description: 'Creation time (unix seconds).' }) createdAt: number;
  @ApiProperty({ description: 'Update time (unix seconds).' }) updatedAt: number;
  @ApiProperty({ description: 'Whether the key is revoked.' }) revoked: boolean;
  @ApiProperty({ description: 'Why the key is revoked ("" when it is not, or no reason was given).' }) revokedReason: string;
  @ApiProperty({ type: [String], description: 'Identifiers associated with the key.' }) tags: string[];
  @ApiProperty({ description: 'Unique identifier for the key.', format: 'uuid' }) keyId: string;
  @ApiProperty({ description: 'Total spend limit in USD; 0 when there is none.' }) costLimitInUsd: number;
  @ApiProperty({ description: 'Spend limit per costLimitInUsdUnit; 0 when there is none.' }) costLimitInUsdOverTime: number;
  @ApiProperty({ description: 'Unit of costLimitInUsdOverTime; "" when there is none.', enum: ['m', 'h', 'd', 'mo', ''] }) costLimitInUsdUnit: string;
  @ApiProperty({ description: 'Requests per rateLimitUnit; 0 when there is no rate limit.' }) rateLimitOverTime: number;
  @ApiProperty({ description: 'Unit of rateLimitOverTime; "" when there is no rate limit.', enum: ['s', 'm', 'h', 'd', ''] }) rateLimitUnit: string;
  @ApiProperty({ description: 'Time to live given at creation; "" when there is none.' }) ttl: string;
  @ApiPropertyOptional({ description: 'When the key expires (unix seconds), from ttl.' }) expiresAt?: number;
  @ApiProperty({ type: [PathConfigDto], description: 'Paths the key may call.' }) allowedPaths: PathConfigDto[];
  @ApiProperty({ description: 'Deprecated: first of settingIds ("" without any).', deprecated: true }) settingId: string;
  @ApiProperty({ type: [String], description: 'Provider setting ids the key may use.' }) settingIds: string[];
  @ApiProperty({ description: 'Whether request bodies are stored on events.' }) shouldLogRequest: boolean;
  @ApiProperty({ description: 'Whether response bodies are stored on events.' }) shouldLogResponse: boolean;
  @ApiProperty({ description: 'Whether requests rotate across settings.' }) rotationEnabled: boolean;
  @ApiProperty({ description: 'Policy id associated with the key; "" when there is none.' }) policyId: string;
  @ApiProperty({ description: 'As given at creation; keys are always stored hashed.' }) isKeyNotHashed: boolean;

  static from(entity: ApiKeyEntity): KeyResponse {
    return {
      name: entity.name,
      createdAt: toUnixSeconds(entity.createdAt),
      updatedAt: toUnixSeconds(entity.updatedAt),
      revoked: entity.revoked,
      revokedReason: entity.revokedReason ?? '',
      tags: entity.tags,
      keyId: entity.keyId,
      ...toLimitFieldsResponse(entity),
      settingId: entity.settingIds[0] ?? '',
      settingIds: entity.settingIds,
      shouldLogRequest: entity.shouldLogRequest,
      shouldLogResponse: entity.shouldLogResponse,
      rotationEnabled: entity.rotationEnabled,
      policyId: entity.policyId ?? '',
      isKeyNotHashed: entity.isKeyNotHashed,
    };
  }
}

export class KeySearchResponse {
  @ApiProperty({ type: [KeyResponse], description: 'Array of keys.' }) keys: KeyResponse[];
  @ApiPropertyOptional({ description: 'Total number of matching keys (with returnCount).' }) count?: number;
}
