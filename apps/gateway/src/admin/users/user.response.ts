import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { toUnixSeconds } from '@tollgate/common';
import { UserEntity } from '@tollgate/users';
import { PathConfigDto } from '../common/limit-fields.request';
import { toLimitFieldsResponse } from '../common/limit-fields.response';

export class UserResponse {
  @ApiProperty({ description: 'Id of the user object.', format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Client-defined user id (OpenAI `user` field / x-user-id).' }) userId: string;
  @ApiProperty({ description: 'Name of the user.' }) name: string;
  @ApiProperty({ description: 'Creation time (unix seconds).' }) createdAt: number;
  @ApiProperty({ description: 'Update time (unix seconds).' }) updatedAt: number;
  @ApiProperty({ type: [String], description: 'Identifiers associated with the user.' }) tags: string[];
  @ApiProperty({ type: [String], description: 'Keys this user may use; empty means any.' }) keyIds: string[];
  @ApiProperty({ description: 'Whether the user is revoked.' }) revoked: boolean;
  @ApiPropertyOptional({ description: 'Why the user is revoked.' }) revokedReason?: string;
  @ApiPropertyOptional({ description: 'Total spend limit in USD.' }) costLimitInUsd?: number;
  @ApiPropertyOptional({ description: 'Spend limit per costLimitInUsdUnit.' }) costLimitInUsdOverTime?: number;
  @ApiPropertyOptional({ description: 'Unit of costLimitInUsdOverTime.', enum: ['m', 'h', 'd', 'mo'] }) costLimitInUsdUnit?: string;
  @ApiPropertyOptional({ description: 'Requests per rateLimitUnit.' }) rateLimitOverTime?: number;
  @ApiPropertyOptional({ description: 'Unit of rateLimitOverTime.', enum: ['s', 'm', 'h', 'd'] }) rateLimitUnit?: string;
  @ApiPropertyOptional({ description: 'Time to live.' }) ttl?: string;
  @ApiPropertyOptional({ description: 'When the user expires (unix seconds), from ttl.' }) expiresAt?: number;
  @ApiProperty({ type: [PathConfigDto], description: 'Paths the user may call.' }) allowedPaths: PathConfigDto[];
  @ApiProperty({ type: [String], description: 'Models the user may use.' }) allowedModels: string[];

  static from(entity: UserEntity): UserResponse {
    return {
      id: entity.id,
      userId: entity.userId,
      name: entity.name,
      createdAt: toUnixSeconds(entity.createdAt),
      updatedAt: toUnixSeconds(entity.updatedAt),
      tags: entity.tags,
      keyIds: entity.keyIds,
      revoked: entity.revoked,
      revokedReason: entity.revokedReason ?? undefined,
      ...toLimitFieldsResponse(entity),
      allowedModels: entity.allowedModels,
    };
  }
}
