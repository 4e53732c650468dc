import { ApiProperty } from '@nestjs/swagger';
import { toUnixSeconds } from '@tollgate/common';
import { UserEntity } from '@tollgate/users';
import { PathConfigDto } from '../common/limit-fields.request';
import { LimitFieldsResponse, toLimitFieldsResponse } from '../common/limit-fields.response';

export class UserResponse extends LimitFieldsResponse {
  @ApiProperty({ description: 'Id of the user object.', format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Client-defined user id (OpenAI `user` field / x-user-id).' }) userId: string;
  @ApiProperty({ description: 'Name of the user.' }) name: string;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Creation time (unix seconds).' }) createdAt: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Update time (unix seconds).' }) updatedAt: number;
  @ApiProperty({ type: [String], description: 'Identifiers associated with the user.' }) tags: string[];
  @ApiProperty({ type: [String], description: 'Keys this user may use; empty means any.' }) keyIds: string[];
  @ApiProperty({ description: 'Whether the user is revoked.' }) revoked: boolean;
  @ApiProperty({ description: 'Why the user is revoked ("" when it is not, or no reason was given).' }) revokedReason: string;
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
