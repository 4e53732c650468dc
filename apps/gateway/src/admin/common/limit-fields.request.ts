import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsOmittable } from './optional';

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
  tags?: string[];

  @ApiPropertyOptional({ nullable: true, description: 'Total (lifetime) spend limit in USD; null removes it.', example: 5.5, minimum: 0, maximum: MAX_USD })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_USD)
  costLimitInUsd?: number | null;

  @ApiPropertyOptional({ nullable: true, description: 'Spend limit in USD per costLimitInUsdUnit. Requires costLimitInUsdUnit; null (with the unit) removes it.', example: 2, minimum: 0, maximum: MAX_USD })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_USD)
  costLimitInUsdOverTime?: number | null;

  @ApiPropertyOptional({ nullable: true, description: 'Time unit for costLimitInUsdOverTime (UTC windows).', enum: ['m', 'h', 'd', 'mo'] })
  @IsOptional()
  @IsIn(['m', 'h', 'd', 'mo'])
  costLimitInUsdUnit?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Requests allowed per rateLimitUnit. Requires rateLimitUnit; null (with the unit) removes it.', example: 2, minimum: 1, maximum: MAX_INT32 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_INT32)
  rateLimitOverTime?: number | null;

  @ApiPropertyOptional({ nullable: true, description: 'Time unit for rateLimitOverTime.', enum: ['s', 'm', 'h', 'd'] })
  @IsOptional()
  @IsIn(['s', 'm', 'h', 'd'])
  rateLimitUnit?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Time to live from now, e.g. "30s", "15m", "24h", "2d"; null removes the expiry.', example: '24h' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(/^(\d+[smhd])+$/, { message: 'ttl must look like "30s", "15m", "24h" or "2d"' })
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
