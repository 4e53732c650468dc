import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { METRIC_GROUPS, MetricGroup } from '@tollgate/reporting';
import { IsOmittable } from '../common/optional';
import { EventRangeRequest, Flag, MAX_UNIX_SECONDS, PageLimit, SortOrder, StringList, TimeRangeRequest, WholeNumber } from '../common/report-fields';

const GROUPS = Object.keys(METRIC_GROUPS);

/** POST /api/reporting/events (BricksLLM's metrics request). */
export class MetricsRequest extends EventRangeRequest {
  @ApiPropertyOptional({ type: [String], enum: GROUPS, description: 'Break each data point down by model, keyId, customId and/or userId.' })
  @StringList()
  @IsIn(GROUPS, { each: true })
  filters?: MetricGroup[];

  @ApiProperty({ type: 'integer', description: 'Width of each data point, in seconds.', example: 60, minimum: 1 })
  @WholeNumber(1, MAX_UNIX_SECONDS, true)
  increment: number;
}

/** POST /api/reporting/top-keys. */
export class TopKeysRequest extends TimeRangeRequest {
  @ApiPropertyOptional({ type: [String], description: 'Only these keys.' })
  @StringList()
  keyIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Keys with any of these tags (in a query string, one parameter per tag: a tag may hold commas).' })
  @StringList({ commaSeparated: false })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Keys whose name contains this (case-insensitive).' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Only revoked (true) or only active (false) keys.' })
  @Flag()
  revoked?: boolean;

  @ApiPropertyOptional({ type: 'integer', description: 'Page size (default 100, at most 1000; 0: the default).', minimum: 0, maximum: 1000 })
  @PageLimit(1_000)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Keys to skip.', minimum: 0 })
  @WholeNumber(0, Number.MAX_SAFE_INTEGER)
  offset?: number;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], description: 'By spend: desc (default, the top spenders first) or asc.' })
  @SortOrder()
  order?: 'asc' | 'desc';
}

/** GET /api/reporting/user-ids and custom-ids: the key whose requests to read, and nothing else. */
export class KeyIdQuery {
  @ApiProperty({ description: 'Key id.' })
  @IsString()
  @IsNotEmpty({ message: 'keyId is required' })
  @MaxLength(512)
  keyId: string;
}
