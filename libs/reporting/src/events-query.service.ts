import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isUuid } from '@tollgate/common';
import { Repository } from 'typeorm';
import { EventEntity } from './event.entity';
import { EventFilter, eventFilterSql, named } from './event-filter';

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

@Injectable()
export class EventsQueryService {
  constructor(@InjectRepository(EventEntity) private readonly repository: Repository<EventEntity>) {}

  async find(query: EventQuery): Promise<EventEntity[]> {
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
    return this.repository.createQueryBuilder('event').where(where, params).orderBy('event.created_at', 'DESC').take(query.limit ?? 1000).getMany();
  }

  /** Events matching a filter, a page at a time, by cost and/or date (newest first by default); with their total count on request. */
  async search(query: EventSearch): Promise<{ events: EventEntity[]; count?: number }> {
    const params: Record<string, unknown> = {};
    const { where, empty } = eventFilterSql(query, 'event', named(params));
    if (empty) return query.returnCount ? { events: [], count: 0 } : { events: [] };
    const builder = this.repository.createQueryBuilder('event').where(where, params);
    if (query.costOrder) builder.addOrderBy('event.cost_in_usd', query.costOrder === 'asc' ? 'ASC' : 'DESC', query.costOrder === 'asc' ? 'NULLS FIRST' : 'NULLS LAST');
    builder.addOrderBy('event.created_at', query.dateOrder === 'asc' ? 'ASC' : 'DESC').addOrderBy('event.id', 'ASC');
    builder.offset(query.offset).limit(query.limit);
    if (!query.returnCount) return { events: await builder.getMany() };
    const [events, count] = await builder.getManyAndCount();
    return { events, count };
  }

  /** Distinct non-null values of a column over a key's events, sorted. */
  async distinctForKey(column: 'user_id' | 'custom_id', keyId: string): Promise<string[]> {
    if (!isUuid(keyId)) return [];
    const rows: Array<{ value: string }> = await this.repository.query(
      `SELECT DISTINCT ${column} AS value FROM events WHERE key_id = $1 AND ${column} IS NOT NULL ORDER BY value`,
      [keyId],
    );
    return rows.map((row) => row.value);
  }
}
