import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ConcurrencyLimit, isUuid } from '@tollgate/common';
import { Repository, SelectQueryBuilder } from 'typeorm';
import { EventEntity } from './event.entity';
import { EventFilter, eventFilterSql, named } from './event-filter';
import { REPORT_QUERIES } from './report-queries';

export interface EventQuery {
  customId?: string;
  keyIds?: string[];
  /** Unix seconds, inclusive. */
  start?: number;
  /** Unix seconds, inclusive: events of that whole second are in. */
  end?: number;
  limit?: number;
}

export interface EventSearch extends EventFilter {
  limit: number;
  offset: number;
  costOrder?: 'asc' | 'desc';
  dateOrder?: 'asc' | 'desc';
  returnCount: boolean;
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

  find(query: EventQuery): Promise<EventEntity[]> {
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

  private async list(query: EventQuery): Promise<EventEntity[]> {
    const params: Record<string, unknown> = {};
    const { where, empty } = eventFilterSql(
      {
        customIds: query.customId ? [query.customId] : undefined,
        keyIds: query.keyIds,
        start: query.start,
        // created_at is stored to the millisecond and shown in seconds: an event shown at `end`
        // is in, up to its last millisecond.
        end: query.end === undefined ? undefined : query.end + 1,
      },
      'event',
      named(params),
    );
    if (empty) return [];
    const builder = this.repository.createQueryBuilder('event').where(where, params).orderBy('event.created_at', 'DESC').addOrderBy('event.id', 'ASC').limit(query.limit ?? 1000);
    return this.withBodies(builder);
  }

  /** One event with its whole bodies; null when there is none of that id. */
  async findOne(id: string): Promise<EventEntity | null> {
    return this.repository.createQueryBuilder('event').addSelect(['event.request', 'event.response']).where('event.id = :id', { id }).getOne();
  }

  /**
   * A page's events with their bodies, in order, while their total stays within
   * PAGE_BODY_BUDGET_BYTES; the others are marked bodiesOmitted (read one at a time by id).
   * A page of 1,000 events with 1 MB bodies each would otherwise be read whole into memory
   * (gigabytes), and fail to serialize.
   */
  private async withBodies(page: SelectQueryBuilder<EventEntity>): Promise<EventEntity[]> {
    // The page's events with the size of their bodies, in one query; the bodies come after.
    const { entities: events, raw } = await page
      .addSelect('coalesce(octet_length(event.request), 0) + coalesce(octet_length(event.response), 0)', 'body_bytes')
      .getRawAndEntities<{ event_id: string; body_bytes: string }>();
    const bytesOf = new Map(raw.map((row) => [row.event_id, Number(row.body_bytes)]));
    let left = PAGE_BODY_BUDGET_BYTES;
    const read: string[] = [];
    for (const event of events) {
      event.request = null;
      event.response = null;
      const bytes = bytesOf.get(event.id) ?? 0;
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
    if (!query.returnCount) return { events: await this.withBodies(builder) };
    const [events, count] = await Promise.all([this.withBodies(builder.clone()), builder.getCount()]);
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
