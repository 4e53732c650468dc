import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';
import { LimitFieldsRequest } from '../common/limit-fields.request';
import { IsOmittable } from '../common/optional';

export { PathConfigDto } from '../common/limit-fields.request';

/** Key fields shared by create and update. */
class KeyLimitsRequest extends LimitFieldsRequest {
  @ApiPropertyOptional({ description: 'Deprecated: use settingIds.', deprecated: true, format: 'uuid' })
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

  @ApiPropertyOptional({ nullable: true, description: 'Policy id associated with the key; null removes it.' })
  @IsOptional()
  @IsString()
  policyId?: string | null;
}

export class CreateKeyRequest extends KeyLimitsRequest {
  @ApiProperty({ description: 'Name of the API key.', example: "spike's developer key" })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ description: 'The API key clients will send. Stored as a SHA-256 hash; never returned.', example: 'my-secret-key-123', minLength: 8 })
  @IsString()
  @MinLength(8)
  @MaxLength(512)
  key: string;

  @ApiPropertyOptional({
    description: 'Accepted for compatibility. Tollgate always stores keys hashed, so a leaked database never leaks keys.',
    default: false,
  })
  @IsOmittable()
  @IsBoolean()
  isKeyNotHashed?: boolean;
}

export class UpdateKeyRequest extends KeyLimitsRequest {
  @ApiPropertyOptional({ description: 'Name of the API key.' })
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Revoke (true) or restore (false) the key.' })
  @IsOmittable()
  @IsBoolean()
  revoked?: boolean;

  @ApiPropertyOptional({ nullable: true, description: 'Why the key is revoked; shown to its callers. null removes it.' })
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

  @ApiPropertyOptional({ type: [String], description: 'Keys having any of these tags.' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @IsString({ each: true })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Substring match on the name field.' })
  @IsOmittable()
  @IsString()
  name?: string;

  @ApiPropertyOptional({ description: 'Filter keys by revoked status.' })
  @IsOmittable()
  @IsBoolean()
  revoked?: boolean;

  @ApiPropertyOptional({ description: 'Pagination limit.', minimum: 1, maximum: 1000 })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'Pagination offset.', minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  offset?: number;

  @ApiPropertyOptional({ description: 'Order by creation time.', enum: ['asc', 'desc'] })
  @IsOmittable()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({ description: 'Include the total number of matching keys.' })
  @IsOmittable()
  @IsBoolean()
  returnCount?: boolean;
}
