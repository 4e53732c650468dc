import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { toUnixSeconds } from '@tollgate/common';
import { ApiKeyEntity } from '@tollgate/keys';
import { PathConfigDto } from './key.request';
import { LimitFieldsResponse, toLimitFieldsResponse } from '../common/limit-fields.response';

/** A key as the admin API shows it: never the key itself nor its hash. */
export class KeyResponse extends LimitFieldsResponse {
  @ApiProperty({ description: 'Name of the API key.' }) name: string;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Creation time (unix seconds).' }) createdAt: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Update time (unix seconds).' }) updatedAt: number;
  @ApiProperty({ description: 'Whether the key is revoked.' }) revoked: boolean;
  @ApiProperty({ description: 'Why the key is revoked ("" when it is not, or no reason was given).' }) revokedReason: string;
  @ApiProperty({ type: [String], description: 'Identifiers associated with the key.' }) tags: string[];
  @ApiProperty({ description: 'Unique identifier for the key.', format: 'uuid' }) keyId: string;
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
  @ApiPropertyOptional({ type: 'integer', format: 'int64', description: 'Total number of matching keys (with returnCount).' }) count?: number;
}
