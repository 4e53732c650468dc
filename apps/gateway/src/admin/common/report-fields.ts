import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { IsOmittable } from './optional';

/**
 * Fields of admin reports and searches, taken from a JSON body and from a query string. A query
 * string's values arrive as text, so there they convert: `?start=1700000000`, `?keyIds=a,b` or
 * `?keyIds=a&keyIds=b`, `?returnCount=true`. A JSON body's must have their documented types.
 */

/**
 * Set in the transform options of query strings (AdminValidationPipe): the field decorators below
 * convert text only there.
 */
export const QUERY_SOURCE = 'tollgateQuerySource';

type TransformArguments = { value: unknown; options: object };

function fromQuery(options: object): boolean {
  return (options as Record<string, unknown>)[QUERY_SOURCE] === true;
}

/** The end of year 9999: the largest time Postgres's to_timestamp takes. */
export const MAX_UNIX_SECONDS = 253_402_300_799;

/** Digits only: "0x10", "1e3" or " 5" are not numbers here, as Number() would make them. */
function toInteger(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
}

function presence(required: boolean): PropertyDecorator {
  return required ? IsDefined({ message: '$property is required' }) : IsOmittable();
}

/** A unix time in seconds. */
export function UnixSeconds(required: boolean): PropertyDecorator {
  return applyDecorators(
    Transform(({ value, options }: TransformArguments) => (fromQuery(options) ? toInteger(value) : value)),
    presence(required),
    IsInt({ message: '$property must be a unix timestamp in seconds' }),
    Min(0),
    Max(MAX_UNIX_SECONDS),
  );
}

/** A whole number within [min, max]; with `zeroIsAbsent`, 0 reads as not given. */
export function WholeNumber(min: number, max: number, required = false, zeroIsAbsent = false): PropertyDecorator {
  return applyDecorators(
    Transform(({ value, options }: TransformArguments) => {
      const number = fromQuery(options) ? toInteger(value) : value;
      return zeroIsAbsent && number === 0 ? undefined : number;
    }),
    presence(required),
    IsInt(),
    Min(min),
    Max(max),
  );
}

/**
 * A page size. 0 means "not given" (the default page), as BricksLLM reads the zero value its Go
 * clients send for an unset field.
 */
export function PageLimit(max: number): PropertyDecorator {
  return WholeNumber(1, max, false, true);
}

/**
 * A list of strings: a JSON array, or a query parameter repeated or (unless `commaSeparated` is
 * false) comma-separated. Values chosen by clients (custom ids, user ids, tags) may hold commas: their
 * lists come only as arrays or repeated parameters, else `order,123` would be read as two ids.
 * A query parameter given empty (`?keyIds=`) is not given, as every other "" is: read as an
 * empty list it matched nothing on some routes and everything on others.
 */
export function StringList(options: { commaSeparated?: boolean } = {}): PropertyDecorator {
  const commaSeparated = options.commaSeparated ?? true;
  return applyDecorators(
    Transform(({ value, options }: TransformArguments) => {
      if (typeof value !== 'string' || !fromQuery(options)) return value;
      const items = commaSeparated ? value.split(',').map((item) => item.trim()) : [value];
      const given = items.filter(Boolean);
      return given.length > 0 ? given : undefined;
    }),
    IsOmittable({ nullIsAbsent: true }),
    IsArray(),
    ArrayMaxSize(1_000),
    IsString({ each: true }),
    MaxLength(512, { each: true }),
  );
}

/** true or false, or "true" / "false" in a query string. */
export function Flag(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value, options }: TransformArguments) => (!fromQuery(options) ? value : value === 'true' ? true : value === 'false' ? false : value)),
    IsOmittable(),
    IsBoolean(),
  );
}

/** asc or desc ("" is the default order, as BricksLLM's Go clients send it unset). */
export function SortOrder(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value)),
    IsOmittable(),
    IsIn(['asc', 'desc']),
  );
}

/** A time range must run forward. */
export function assertRange(start: number, end: number): void {
  if (start >= end) throw new GatewayError(GatewayErrorCode.InvalidRequest, 'start must be before end', 'start');
}

/** A time range, [start, end). */
export class TimeRangeRequest {
  @ApiProperty({ type: 'integer', description: 'Start, unix seconds (inclusive).', example: 1699933571 })
  @UnixSeconds(true)
  start: number;

  @ApiProperty({ type: 'integer', description: 'End, unix seconds (exclusive).', example: 1699937171 })
  @UnixSeconds(true)
  end: number;
}

/** Which events a report or a search covers: [start, end), and any of the listed keys, tags, custom ids and users. */
export class EventRangeRequest extends TimeRangeRequest {
  @ApiPropertyOptional({ type: [String], description: 'Events of these keys.' })
  @StringList()
  keyIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Events of keys that had any of these tags; in a query string, one parameter per tag (a tag may hold commas).' })
  @StringList({ commaSeparated: false })
  tags?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Events with these custom ids (x-custom-event-id); in a query string, one parameter per id (an id may hold commas).' })
  @StringList({ commaSeparated: false })
  customIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Events of these users; in a query string, one parameter per id (an id may hold commas).' })
  @StringList({ commaSeparated: false })
  userIds?: string[];
}
