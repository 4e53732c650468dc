import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HEADER_SAFE_TEXT } from '@tollgate/common';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { LimitFieldsRequest } from '../common/limit-fields.request';
import { IsOmittable, ZeroValueIsAbsent } from '../common/optional';
import { StringList } from '../common/report-fields';

export { PathConfigDto } from '../common/limit-fields.request';

/** Key fields shared by create and update. */
class KeyLimitsRequest extends LimitFieldsRequest {
  @ApiPropertyOptional({ description: 'Deprecated: use settingIds.', deprecated: true, format: 'uuid' })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsUUID()
  settingId?: string;

  @ApiPropertyOptional({ type: [String], description: 'Provider setting ids the key may use.', format: 'uuid' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @IsUUID('all', { each: true })
  settingIds?: string[];

  @ApiPropertyOptional({ description: 'Store request bodies on events.', default: false })
  @IsOmittable()
  @IsBoolean()
  shouldLogRequest?: boolean;

  @ApiPropertyOptional({ description: 'Store response bodies on events.', default: false })
  @IsOmittable()
  @IsBoolean()
  shouldLogResponse?: boolean;

  @ApiPropertyOptional({ description: 'Spread requests across the key\'s settings of one provider.', default: false })
  @IsOmittable()
  @IsBoolean()
  rotationEnabled?: boolean;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Policy id associated with the key. Policies (PII rules) are not available in this version: binding a key to one is a 400, since it would look protected and not be. null removes an id stored earlier; "" (or the id the key already has) changes nothing.',
  })
  @ZeroValueIsAbsent()
  @IsOptional()
  @IsString()
  policyId?: string | null;

  @ApiPropertyOptional({
    description: 'Accepted for compatibility and echoed. Tollgate always stores keys hashed (HMAC-SHA256 under a secret the database does not hold), so a leaked database never leaks keys.',
    default: false,
  })
  @IsOmittable()
  @IsBoolean()
  isKeyNotHashed?: boolean;
}

export class CreateKeyRequest extends KeyLimitsRequest {
  // Required to create a key (the reference's contract), unless the deprecated settingId is sent.
  @ApiProperty({ type: [String], required: true, description: 'Provider setting ids the key may use (or the deprecated settingId; one of the two is required).', format: 'uuid' })
  declare settingIds?: string[];

  @ApiProperty({ description: 'Name of the API key.', example: "spike's developer key" })
  @IsString()
  @Matches(/\S/, { message: 'name must not be empty or blank' })
  @MaxLength(200)
  name: string;

  @ApiProperty({
    description: 'The API key clients will send: 8 to 512 printable ASCII characters, no space at either end (what an HTTP header carries unchanged). Stored as an HMAC-SHA256 under a secret derived from ENCRYPTION_KEY; never returned.',
    example: 'my-secret-key-123',
    minLength: 8,
    maxLength: 512,
    pattern: HEADER_SAFE_TEXT.source,
  })
  @IsString()
  @MinLength(8)
  @MaxLength(512)
  // A header loses surrounding spaces and is read as latin1: a key with either could never match.
  @Matches(HEADER_SAFE_TEXT, { message: 'key must be printable ASCII with no space at either end: clients send it in an HTTP header, which trims spaces and carries no other characters unchanged' })
  key: string;

}

export class UpdateKeyRequest extends KeyLimitsRequest {
  @ApiPropertyOptional({ description: 'Name of the API key ("" keeps it, as in BricksLLM).' })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Revoke (true) or restore (false) the key; restoring clears revokedReason.' })
  @IsOmittable()
  @IsBoolean()
  revoked?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Why the key is revoked; shown to its callers. null removes it ("" keeps it).' })
  @ZeroValueIsAbsent()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  revokedReason?: string | null;
}

export class SearchKeysRequest {
  @ApiPropertyOptional({ type: [String], description: 'Array of key IDs.' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @IsString({ each: true })
  keyIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Keys having all of these tags.' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @IsString({ each: true })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Substring match on the name field ("" matches every name).' })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsString()
  name?: string;

  @ApiPropertyOptional({ nullable: true, description: 'Filter keys by revoked status (null: either).' })
  @IsOmittable({ nullIsAbsent: true })
  @IsBoolean()
  revoked?: boolean;

  @ApiPropertyOptional({ type: 'integer', description: 'Pagination limit (0 or absent: no limit).', minimum: 0, maximum: 1000 })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Pagination offset.', minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  offset?: number;

  @ApiPropertyOptional({ description: 'Order by creation time (default asc).', enum: ['asc', 'desc'] })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({ description: 'Include the total number of matching keys.' })
  @IsOmittable()
  @IsBoolean()
  returnCount?: boolean;
}

/**
 * GET /api/key-management/keys: its query parameters, each checked, so a misspelt filter is a
 * 400 rather than a list of every key, and a repeated single-value one (`?tag=a&tag=b`) a 400
 * rather than an empty list. No filter at all lists every key.
 */
export class ListKeysQuery {
  @ApiPropertyOptional({ description: 'Keys with this tag ("" is no filter).' })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  tag?: string;

  @ApiPropertyOptional({ type: [String], description: 'Keys with all of these tags (and tag, if given): one parameter per tag (a tag may hold commas).' })
  @StringList({ commaSeparated: false })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Keys with a setting of this provider ("" is no filter).' })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsString()
  @MaxLength(64)
  provider?: string;

  @ApiPropertyOptional({ type: [String], description: 'These key ids: repeated or comma-separated (ids that are not UUIDs match nothing).' })
  @StringList()
  keyIds?: string[];
}
