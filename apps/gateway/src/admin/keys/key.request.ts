import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export class PathConfigDto {
  @ApiProperty({ description: 'Allowed path.', example: '/api/providers/openai/v1/chat/completions' })
  @IsString()
  @Matches(/^\//, { message: 'path must start with /' })
  @MaxLength(1024)
  path: string;

  @ApiProperty({ description: 'HTTP method.', enum: HTTP_METHODS, example: 'POST' })
  @IsIn(HTTP_METHODS)
  method: string;
}

/** Limits shared by create and update. */
class KeyLimitsRequest {
  @ApiPropertyOptional({ type: [String], description: 'Identifiers associated with the key.', example: ['org-tag-12345'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Deprecated: use settingIds.', deprecated: true, format: 'uuid' })
  @IsOptional()
  @IsUUID()
  settingId?: string;

  @ApiPropertyOptional({ type: [String], description: 'Provider setting ids the key may use.', format: 'uuid' })
  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  settingIds?: string[];

  @ApiPropertyOptional({ description: 'Total (lifetime) spend limit in USD.', example: 5.5, minimum: 0 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  costLimitInUsd?: number;

  @ApiPropertyOptional({ description: 'Spend limit in USD per costLimitInUsdUnit. Requires costLimitInUsdUnit.', example: 2, minimum: 0 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  costLimitInUsdOverTime?: number;

  @ApiPropertyOptional({ description: 'Time unit for costLimitInUsdOverTime (UTC windows).', enum: ['m', 'h', 'd', 'mo'] })
  @IsOptional()
  @IsIn(['m', 'h', 'd', 'mo'])
  costLimitInUsdUnit?: string;

  @ApiPropertyOptional({ description: 'Requests allowed per rateLimitUnit. Requires rateLimitUnit.', example: 2, minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  rateLimitOverTime?: number;

  @ApiPropertyOptional({ description: 'Time unit for rateLimitOverTime.', enum: ['s', 'm', 'h', 'd'] })
  @IsOptional()
  @IsIn(['s', 'm', 'h', 'd'])
  rateLimitUnit?: string;

  @ApiPropertyOptional({ description: 'Time to live from now, e.g. "30s", "15m", "24h", "2d".', example: '24h' })
  @IsOptional()
  @IsString()
  @Matches(/^(\d+[smhd])+$/, { message: 'ttl must look like "30s", "15m", "24h" or "2d"' })
  ttl?: string;

  @ApiPropertyOptional({ type: [PathConfigDto], description: 'Paths the key may call; empty means all.' })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PathConfigDto)
  allowedPaths?: PathConfigDto[];

  @ApiPropertyOptional({ description: 'Store request bodies on events.', default: false })
  @IsOptional()
  @IsBoolean()
  shouldLogRequest?: boolean;

  @ApiPropertyOptional({ description: 'Store response bodies on events.', default: false })
  @IsOptional()
  @IsBoolean()
  shouldLogResponse?: boolean;

  @ApiPropertyOptional({ description: 'Spread requests across the key\'s settings of one provider.', default: false })
  @IsOptional()
  @IsBoolean()
  rotationEnabled?: boolean;

  @ApiPropertyOptional({ description: 'Policy id associated with the key.' })
  @IsOptional()
  @IsString()
  policyId?: string;
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
  @IsOptional()
  @IsBoolean()
  isKeyNotHashed?: boolean;
}

export class UpdateKeyRequest extends KeyLimitsRequest {
  @ApiPropertyOptional({ description: 'Name of the API key.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Revoke (true) or restore (false) the key.' })
  @IsOptional()
  @IsBoolean()
  revoked?: boolean;

  @ApiPropertyOptional({ description: 'Why the key is revoked; shown to its callers.' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  revokedReason?: string;
}

export class SearchKeysRequest {
  @ApiPropertyOptional({ type: [String], description: 'Array of key IDs.' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  keyIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Keys having any of these tags.' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Substring match on the name field.' })
  @IsOptional()
  @IsString()
  name?: string;

  @ApiPropertyOptional({ description: 'Filter keys by revoked status.' })
  @IsOptional()
  @IsBoolean()
  revoked?: boolean;

  @ApiPropertyOptional({ description: 'Pagination limit.', minimum: 1, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  limit?: number;

  @ApiPropertyOptional({ description: 'Pagination offset.', minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({ description: 'Order by creation time.', enum: ['asc', 'desc'] })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({ description: 'Include the total number of matching keys.' })
  @IsOptional()
  @IsBoolean()
  returnCount?: boolean;
}
