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
  @ApiProperty({ description: 'Why the user is revoked ("" when it is not, or no reason was given).' }) revokedReason: string;
  @ApiProperty({ description: 'Total spend limit in USD; 0 when there is none.' }) costLimitInUsd: number;
  @ApiProperty({ description: 'Spend limit per costLimitInUsdUnit; 0 when there is none.' }) costLimitInUsdOverTime: number;
  @ApiProperty({ description: 'Unit of costLimitInUsdOverTime; "" when there is none.', enum: ['m', 'h', 'd', 'mo', ''] }) costLimitInUsdUnit: string;
  @ApiProperty({ description: 'Requests per rateLimitUnit; 0 when there is no rate limit.' }) rateLimitOverTime: number;
  @ApiProperty({ description: 'Unit of rateLimitOverTime; "" when there is no rate limit.', enum: ['s', 'm', 'h', 'd', ''] }) rateLimitUnit: string;
  @ApiProperty({ description: 'Time to live; "" when there is none.' }) ttl: string;
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
      revokedReason: entity.revokedReason ?? '',
      ...toLimitFieldsResponse(entity),
      allowedModels: entity.allowedModels,
    };
  }
}
