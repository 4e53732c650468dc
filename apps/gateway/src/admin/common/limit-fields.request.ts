import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';

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

/** Limits keys and users share (BricksLLM field names and units). */
export class LimitFieldsRequest {
  @ApiPropertyOptional({ type: [String], description: 'Identifiers associated with the key or user.', example: ['org-tag-12345'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  tags?: string[];

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

  @ApiPropertyOptional({ type: [PathConfigDto], description: 'Paths that may be called (path + method); empty means all.' })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PathConfigDto)
  allowedPaths?: PathConfigDto[];
}
