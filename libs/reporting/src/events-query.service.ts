import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ConcurrencyLimit, isUuid } from '@tollgate/common';
import { Repository, SelectQueryBuilder } from 'typeorm';
import { EventEntity } from './event.entity';
import { EventFilter, eventFilterSql, named } from './event-filter';
import { REPORT_QUERIES } from './report-queries';

export interface EventQuery {
  customId?: string;
  userId?: string;
  keyIds?: string[];
  /** Unix seconds, inclusive. */
  start?: number;
  /** Unix seconds, inclusive: events of that whole second are in. */
  end?: number;
  limit: number;
  /** The events after this one in the list's order (an EventPage's `next`). */
  after?: EventCursor;
}

/**
 * Where a page of GET /api/events ended: its last event's created_at, exact to the microsecond
 * Postgres stores (a JS Date holds milliseconds only), and its id.
 */
export interface EventCursor {
  createdAtMicros: string;
  id: string;
}

export interface EventPage {
  events: EventEntity[];
  /** Set exactly when more events match: the cursor of the page's last event. */
  next?: EventCursor;
}

export interface EventSearch extends EventFilter {
  limit: number;
  offset: number;
  costOrder?: 'asc' | 'desc';
  dateOrder?: 'asc' | 'desc';
  returnCount: boolean;
}

/** A listed event before its bodies are read. */
interface SizedEvent {
  event: EventEntity;
  bytes: number;
  createdAtMicros: string;
}

/** The most distinct user or custom ids listed for a key (the first ones, in order). */
export const MAX_DISTINCT_IDS = 10_000;

/** The most body text (requests and responses) one page of listed events carries. */
export const PAGE_BODY_BUDGET_BYTES = 16 * 1024 * 1024;

@Injectable()
export class EventsQueryService {
  constructor(
    @InjectRepository(EventEntity) private readonly repository: Repository<EventEntity>,
    @Inject(REPORT_QUERIES) private readonly queries: ConcurrencyLimit,
  ) {}

  /**
   * A page of events, newest first (created_at descending, then id ascending), and where the
   * next page starts. Pages continue from a position rather than an offset: events recorded
   * meanwhile neither shift an event onto the next page a second time nor push one past it.
   */
  find(query: EventQuery): Promise<EventPage> {
    return this.queries.run(() => this.list(query));
  }

  /** Events matching a filter, a page at a time, by cost and/or date (newest first by default); with their total count on request. */
  search(query: EventSearch): Promise<{ events: EventEntity[]; count?: number }> {
    return this.queries.run(() => this.page(query));
  }

  /** Distinct non-null values of a column over a key's events, sorted (the first MAX_DISTINCT_IDS). */
  distinctForKey(column: 'user_id' | 'custom_id', keyId: string): Promise<string[]> {
    return this.queries.run(() => this.distinct(column, keyId));
  }

  private async list(query: EventQuery): Promise<EventPage> {
    const params: Record<string, unknown> = {};
    const bind = named(params);
    const { where, empty } = eventFilterSql(
      {
        customIds: query.customId ? [query.customId] : undefined,
        userIds: query.userId ? [query.userId] : undefined,
        keyIds: query.keyIds,
        start: query.start,
        // created_at is stored to the millisecond and shown in seconds: an event shown at `end`
        // is in, up to its last millisecond.
        end: query.end === undefined ? undefined : query.end + 1,
      },
      'event',
      bind,
    );
    if (empty) return { events: [] };
    const builder = this.repository.createQueryBuilder('event').where(where, params);
    if (query.after) {
      // After the cursor in (created_at DESC, id ASC); the first condition alone keeps the
      // created_at index usable. (An interval times a bigint is exact up to 2^53 µs: year 2255.)
      const at = `(timestamptz 'epoch' + ${bind(query.after.createdAtMicros)}::bigint * interval '1 microsecond')`;
      const id = bind(query.after.id);
      builder.andWhere(`event.created_at <= ${at} AND (event.created_at < ${at} OR event.id > ${id})`, params);
    }
    // One more than the page: whether more events exist, without counting them all.
    builder.orderBy('event.created_at', 'DESC').addOrderBy('event.id', 'ASC').limit(query.limit + 1);
    const rows = await this.sized(builder);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const events = await this.readBodies(page);
    return rows.length > query.limit ? { events, next: { createdAtMicros: last.createdAtMicros, id: last.event.id } } : { events };
  }

  /** One event with its whole bodies; null when there is none of that id. */
  async findOne(id: string): Promise<EventEntity | null> {
    return this.repository.createQueryBuilder('event').addSelect(['event.request', 'event.response']).where('event.id = :id', { id }).getOne();
  }

  /**
   * A page's events without their bodies, each with the size of its bodies and its exact
   * created_at, in one query; readBodies adds the bodies after.
   */
  private async sized(page: SelectQueryBuilder<EventEntity>): Promise<SizedEvent[]> {
    const { entities, raw } = await page
      .addSelect('coalesce(octet_length(event.request), 0) + coalesce(octet_length(event.response), 0)', 'body_bytes')
      .addSelect('(extract(epoch from event.created_at) * 1000000)::bigint::text', 'created_at_micros')
      .getRawAndEntities<{ event_id: string; body_bytes: string; created_at_micros: string }>();
    const rowOf = new Map(raw.map((row) => [row.event_id, row]));
    return entities.map((event) => {
      const row = rowOf.get(event.id);
      return { event, bytes: Number(row?.body_bytes ?? 0), createdAtMicros: row?.created_at_micros ?? '' };
    });
  }

  /**
   * The events with their bodies, in order, while their total stays within
   * PAGE_BODY_BUDGET_BYTES; the others are marked bodiesOmitted (read one at a time by id).
   * A page of 1,000 events with 1 MB bodies each would otherwise be read whole into memory
   * (gigabytes), and fail to serialize.
   */
  private async readBodies(sized: SizedEvent[]): Promise<EventEntity[]> {
    const events = sized.map(({ event }) => event);
    let left = PAGE_BODY_BUDGET_BYTES;
    const read: string[] = [];
    for (const { event, bytes } of sized) {
      event.request = null;
      event.response = null;
      if (bytes === 0) continue;
      if (bytes > left) {
        event.bodiesOmitted = true;
        left = 0;
        continue;
      }
      left -= bytes;
      read.push(event.id);
    }
    if (read.length === 0) return events;
    const bodies: Array<{ id: string; request: string | null; response: string | null }> = await this.repository.query(
      'SELECT id, request, response FROM events WHERE id = ANY($1::text[])',
      [read],
    );
    const bodyOf = new Map(bodies.map((row) => [row.id, row]));
    for (const event of events) {
      const body = bodyOf.get(event.id);
      if (body) {
        event.request = body.request;
        event.response = body.response;
      }
    }
    return events;
  }

  private async page(query: EventSearch): Promise<{ events: EventEntity[]; count?: number }> {
    const params: Record<string, unknown> = {};
    const { where, empty } = eventFilterSql(query, 'event', named(params));
    if (empty) return query.returnCount ? { events: [], count: 0 } : { events: [] };
    const builder = this.repository.createQueryBuilder('event').where(where, params);
    if (query.costOrder) builder.addOrderBy('event.cost_in_usd', query.costOrder === 'asc' ? 'ASC' : 'DESC', query.costOrder === 'asc' ? 'NULLS FIRST' : 'NULLS LAST');
    builder.addOrderBy('event.created_at', query.dateOrder === 'asc' ? 'ASC' : 'DESC').addOrderBy('event.id', 'ASC');
    builder.offset(query.offset).limit(query.limit);
    if (!query.returnCount) return { events: await this.readBodies(await this.sized(builder)) };
    const [events, count] = await Promise.all([this.sized(builder.clone()).then((sized) => this.readBodies(sized)), builder.getCount()]);
    return { events, count };
  }

  private async distinct(column: 'user_id' | 'custom_id', keyId: string): Promise<string[]> {
    if (!isUuid(keyId)) return [];
    const rows: Array<{ value: string }> = await this.repository.query(
      `SELECT DISTINCT ${column} AS value FROM events WHERE key_id = $1 AND ${column} IS NOT NULL ORDER BY value LIMIT $2`,
      [keyId, MAX_DISTINCT_IDS],
    );
    return rows.map((row) => row.value);
  }
}
