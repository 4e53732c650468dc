import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { LimitFieldsRequest } from '../common/limit-fields.request';
import { IsClientId } from '../common/client-id';
import { PageLimit, StringList, WholeNumber } from '../common/report-fields';
import { IsOmittable, ZeroValueIsAbsent } from '../common/optional';

/** User fields shared by create and update. */
class UserFieldsRequest extends LimitFieldsRequest {
  @ApiPropertyOptional({ type: [String], description: 'Keys this user may use; empty means any.', format: 'uuid' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @IsUUID('all', { each: true })
  keyIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Models this user may use; empty means any.', example: ['gpt-4o-mini'] })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @IsString({ each: true })
  // Names are compared exactly: a blank one, or one with spaces around it, matches no model (the
  // user could use none, with a 200 for the admin).
  @Matches(/^\S(?:.*\S)?$/s, { each: true, message: 'allowedModels must hold model names, without spaces around them' })
  @MaxLength(256, { each: true })
  allowedModels?: string[];
}

export class CreateUserRequest extends UserFieldsRequest {
  @ApiProperty({ description: 'Name of the user.', example: 'spike' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({
    description: 'Client-defined user id: what requests send as the OpenAI `user` field or the x-user-id header. Generated when absent.',
    example: 'student-42',
  })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  @IsClientId()
  userId?: string;
}

export class UpdateUserRequest extends UserFieldsRequest {
  @ApiPropertyOptional({ description: 'Name of the user ("" keeps it).' })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Revoke (true) or restore (false) the user.' })
  @IsOmittable()
  @IsBoolean()
  revoked?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Why the user is revoked; shown to its callers. null removes it ("" keeps it).' })
  @ZeroValueIsAbsent()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  revokedReason?: string | null;
}

/** GET /api/users: its query parameters, each checked (a misspelt filter is a 400, not every user). */
export class ListUsersQuery {
  @ApiPropertyOptional({ type: [String], description: 'Client-defined user ids (repeated; an id may hold commas).' })
  @StringList({ commaSeparated: false })
  userIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Users with any of these tags (one parameter per tag: a tag may hold commas).' })
  @StringList({ commaSeparated: false })
  tags?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Users associated with any of these keys (repeated or comma-separated).' })
  @StringList()
  keyIds?: string[];

  @ApiPropertyOptional({ type: 'integer', description: 'Pagination offset.', minimum: 0 })
  @WholeNumber(0, Number.MAX_SAFE_INTEGER)
  offset?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Pagination limit (0: none).', minimum: 1 })
  @PageLimit(Number.MAX_SAFE_INTEGER)
  limit?: number;
}

/** PATCH /api/users: which users to update, by userId and/or tags (at least one). */
export class MatchUsersQuery {
  @ApiPropertyOptional({ description: 'Client-defined user id.' })
  @IsOmittable()
  @IsString()
  @MaxLength(512)
  userId?: string;

  @ApiPropertyOptional({ type: [String], description: 'Users with any of these tags (one parameter per tag: a tag may hold commas).' })
  @StringList({ commaSeparated: false })
  tags?: string[];
}
