import { isUuid } from '@tollgate/common';

/** Which events a report or a search covers. Lists are alternatives: an event matches any of their values. */
export interface EventFilter {
  /** Unix seconds, inclusive. */
  start: number;
  /** Unix seconds, exclusive. */
  end: number;
  keyIds?: string[];
  /** Events of keys that carried any of these tags when the request was made. */
  tags?: string[];
  customIds?: string[];
  userIds?: string[];
}

/** A filter whose time range may be open at either end (GET /api/events). */
export type OpenEventFilter = Omit<EventFilter, 'start' | 'end'> & { start?: number; end?: number };

/** Binds a value as a query parameter and returns its placeholder. */
export type Bind = (value: unknown) => string;

/** Placeholders $1, $2, ... for raw queries, appended to `params`. */
export function positional(params: unknown[]): Bind {
  return (value) => `$${params.push(value)}`;
}

/** Named placeholders (:f1, :f2, ...) for TypeORM's query builder, set in `params`. */
export function named(params: Record<string, unknown>): Bind {
  return (value) => {
    const name = `f${Object.keys(params).length + 1}`;
    params[name] = value;
    return `:${name}`;
  };
}

/**
 * The WHERE clause of an event filter over `events` aliased `alias`, every value bound. The
 * time range is a half-open interval on created_at (stored to the millisecond): [start, end).
 * `empty`: the filter can match nothing (only malformed key ids were given), no query needed.
 */
export function eventFilterSql(filter: OpenEventFilter, alias: string, bind: Bind): { where: string; empty: boolean } {
  const clauses: string[] = [];
  if (filter.start !== undefined) clauses.push(`${alias}.created_at >= to_timestamp(${bind(filter.start)})`);
  if (filter.end !== undefined) clauses.push(`${alias}.created_at < to_timestamp(${bind(filter.end)})`);
  let empty = false;
  if (filter.keyIds && filter.keyIds.length > 0) {
    // Ids that are not uuids match nothing; compared as uuids, the key index stays usable.
    const keyIds = filter.keyIds.filter(isUuid);
    if (keyIds.length === 0) empty = true;
    clauses.push(`${alias}.key_id = ANY(${bind(keyIds)}::uuid[])`);
  }
  if (filter.tags && filter.tags.length > 0) clauses.push(`${alias}.tags && ${bind(filter.tags)}::text[]`);
  if (filter.customIds && filter.customIds.length > 0) clauses.push(`${alias}.custom_id = ANY(${bind(filter.customIds)}::text[])`);
  if (filter.userIds && filter.userIds.length > 0) clauses.push(`${alias}.user_id = ANY(${bind(filter.userIds)}::text[])`);
  return { where: clauses.length > 0 ? clauses.join(' AND ') : 'TRUE', empty };
}
