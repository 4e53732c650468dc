import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isUuid } from '@tollgate/common';
import { Repository } from 'typeorm';
import { EventEntity } from './event.entity';

export interface EventQuery {
  customId?: string;
  keyIds?: string[];
  /** Unix seconds, inclusive. */
  start?: number;
  /** Unix seconds, inclusive. */
  end?: number;
  limit?: number;
}

@Injectable()
export class EventsQueryService {
  constructor(@InjectRepository(EventEntity) private readonly repository: Repository<EventEntity>) {}

  async find(query: EventQuery): Promise<EventEntity[]> {
    const builder = this.repository.createQueryBuilder('event').orderBy('event.created_at', 'DESC').take(query.limit ?? 1000);
    if (query.customId) builder.andWhere('event.custom_id = :customId', { customId: query.customId });
    if (query.keyIds && query.keyIds.length > 0) {
      // Ids that are not uuids match nothing; comparing as uuid (not as text) keeps the key index usable.
      const keyIds = query.keyIds.filter(isUuid);
      if (keyIds.length === 0) return [];
      builder.andWhere('event.key_id IN (:...keyIds)', { keyIds });
    }
    if (query.start !== undefined) builder.andWhere('event.created_at >= to_timestamp(:start)', { start: query.start });
    if (query.end !== undefined) builder.andWhere('event.created_at <= to_timestamp(:end)', { end: query.end });
    return builder.getMany();
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
