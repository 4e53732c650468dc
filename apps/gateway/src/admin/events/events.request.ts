import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';
import { IsOmittable } from '../common/optional';
import { EventRangeRequest, Flag, PageLimit, SortOrder, StringList, UnixSeconds, WholeNumber } from '../common/report-fields';

/** GET /api/events: its query parameters, each checked (an unknown or misspelt one is a 400, not a filter left out). */
export class ListEventsQuery {
  @ApiPropertyOptional({ description: 'Custom identifier (x-custom-event-id) of the events.' })
  @IsOmittable()
  @IsString()
  @MaxLength(512)
  customId?: string;

  @ApiPropertyOptional({ type: [String], description: 'Key ids (repeated or comma-separated); start and end are then required.' })
  @StringList()
  keyIds?: string[];

  @ApiPropertyOptional({ type: 'integer', description: 'Start, unix seconds (inclusive).' })
  @UnixSeconds(false)
  start?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'End, unix seconds (inclusive: events of that second are in).' })
  @UnixSeconds(false)
  end?: number;
}

/** GET /api/v2/events (query parameters) and POST /api/v2/events (the same fields as JSON). */
export class SearchEventsRequest extends EventRangeRequest {
  @ApiPropertyOptional({ type: 'integer', description: 'Page size (default 100, at most 1000; 0: the default).', minimum: 1, maximum: 1000 })
  @PageLimit(1_000)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Events to skip.', minimum: 0 })
  @WholeNumber(0, Number.MAX_SAFE_INTEGER)
  offset?: number;

  @ApiPropertyOptional({ type: [String], description: 'Not supported yet (events record no policy): must be empty.' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @ArrayMaxSize(0, { message: 'policyIds: events record no policy yet, so they cannot be filtered by one' })
  policyIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Not supported yet (events record no policy action): must be empty.' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @ArrayMaxSize(0, { message: 'actions: events record no policy action yet, so they cannot be filtered by one' })
  actions?: string[];

  @ApiPropertyOptional({ enum: ['asc', 'desc'], description: 'Order by cost first (unpriced events last when descending).' })
  @SortOrder()
  costOrder?: 'asc' | 'desc';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], description: 'Order by date (default desc: newest first).' })
  @SortOrder()
  dateOrder?: 'asc' | 'desc';

  @ApiPropertyOptional({ description: 'Also return the total number of matching events.' })
  @Flag()
  returnCount?: boolean;
}
