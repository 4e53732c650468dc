import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import { IsOmittable, ZeroValueIsAbsent } from '../common/optional';
import { EventRangeRequest, Flag, PageLimit, SortOrder, StringList, UnixSeconds, WholeNumber } from '../common/report-fields';

/** The most events GET /api/events returns at once (and its default, as before it paged). */
export const EVENTS_PAGE_MAX = 1_000;

/**
 * A page's x-next-cursor: its last event's created_at in microseconds, "_", and its id in
 * base64url, so that the cursor goes into a header and a URL as it is.
 */
export const EVENT_CURSOR = /^(\d{1,18})_([A-Za-z0-9_-]{1,1024})$/;

/** GET /api/events: its query parameters, each checked (an unknown or misspelt one is a 400, not a filter left out). */
export class ListEventsQuery {
  @ApiPropertyOptional({ description: 'Custom identifier (x-custom-event-id) of the events.' })
  @IsOmittable()
  @IsString()
  @MaxLength(512)
  customId?: string;

  @ApiPropertyOptional({ description: 'User the events were attributed to (their user_id).' })
  @IsOmittable()
  @IsString()
  @MaxLength(512)
  userId?: string;

  @ApiPropertyOptional({ type: [String], description: 'Key ids (repeated or comma-separated); start and end are then required.' })
  @StringList()
  keyIds?: string[];

  @ApiPropertyOptional({ type: 'integer', description: 'Start, unix seconds (inclusive).' })
  @UnixSeconds(false)
  start?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'End, unix seconds (inclusive: events of that second are in).' })
  @UnixSeconds(false)
  end?: number;

  @ApiPropertyOptional({ type: 'integer', description: `Page size (default and at most ${EVENTS_PAGE_MAX}; 0: the default).`, minimum: 0, maximum: EVENTS_PAGE_MAX })
  @PageLimit(EVENTS_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({
    description:
      'Where the page starts: the x-next-cursor of the previous page (its Link rel="next" carries it), with the same filters (empty: the first page). Opaque; events recorded meanwhile shift nothing, so a walk sees each event once.',
  })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsString()
  @Matches(EVENT_CURSOR, { message: 'cursor must be the x-next-cursor header of a previous page' })
  cursor?: string;
}

/** GET /api/v2/events (query parameters) and POST /api/v2/events (the same fields as JSON). */
export class SearchEventsRequest extends EventRangeRequest {
  @ApiPropertyOptional({ type: 'integer', description: 'Page size (default 100, at most 1000; 0: the default).', minimum: 0, maximum: 1000 })
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
