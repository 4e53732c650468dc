import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { TTL_MESSAGE, TTL_PATTERN } from '@tollgate/common';
import { HasAtMostDecimals } from './decimal-places';
import { IsOmittable, ZeroValueIsAbsent, ZeroValueIsNull } from './optional';

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** USD amounts are stored as numeric(20, 10): under 10 billion. */
export const MAX_USD = 1_000_000_000;
/** Counts are stored as Postgres integers. */
export const MAX_INT32 = 2_147_483_647;

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

/** Limits keys and users share (BricksLLM field names and units). */
export class LimitFieldsRequest {
  @ApiPropertyOptional({ type: [String], description: 'Identifiers associated with the key or user.', example: ['org-tag-12345'] })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @IsNotEmpty({ each: true, message: 'tags must not hold empty strings' })
  @MaxLength(200, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Total (lifetime) spend limit in USD; null (or 0, as in BricksLLM) removes it.', example: 5.5, minimum: 0, maximum: MAX_USD })
  @ZeroValueIsNull()
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @HasAtMostDecimals(9, 'spend is counted in billionths of a dollar')
  @Min(0)
  @Max(MAX_USD)
  costLimitInUsd?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Spend limit in USD per costLimitInUsdUnit. Requires costLimitInUsdUnit; null (or 0, with the unit null or "") removes it.', example: 2, minimum: 0, maximum: MAX_USD })
  @ZeroValueIsNull()
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @HasAtMostDecimals(9, 'spend is counted in billionths of a dollar')
  @Min(0)
  @Max(MAX_USD)
  costLimitInUsdOverTime?: number | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Time unit for costLimitInUsdOverTime (UTC windows).', enum: ['m', 'h', 'd', 'mo'] })
  @ZeroValueIsNull()
  @IsOptional()
  @IsIn(['m', 'h', 'd', 'mo'])
  costLimitInUsdUnit?: string | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Requests allowed per rateLimitUnit. Requires rateLimitUnit; null (or 0, with the unit null or "") removes it.', example: 2, minimum: 1, maximum: MAX_INT32 })
  @ZeroValueIsNull()
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_INT32)
  rateLimitOverTime?: number | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Time unit for rateLimitOverTime.', enum: ['s', 'm', 'h', 'd'] })
  @ZeroValueIsNull()
  @IsOptional()
  @IsIn(['s', 'm', 'h', 'd'])
  rateLimitUnit?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Time to live from now, e.g. "30s", "15m", "1.5h", "24h", "2d" (also compound: "1h30m"); null removes the expiry.', example: '24h' })
  @ZeroValueIsAbsent()
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(TTL_PATTERN, { message: TTL_MESSAGE })
  ttl?: string | null;

  @ApiPropertyOptional({ type: [PathConfigDto], description: 'Paths that may be called (path + method); empty means all.' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  // ValidateNested alone lets a list through in place of an object ([[]]).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => PathConfigDto)
  allowedPaths?: PathConfigDto[];
}
