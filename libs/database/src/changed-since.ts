import { FindOptionsWhere, MoreThanOrEqual, ObjectLiteral, Repository } from 'typeorm';

/**
 * A row's updated_at is its transaction's start (Postgres now()), not its commit: a change whose
 * transaction began before the last read but committed after it carries an older time than the
 * newest row that read saw. Reads of what changed go back this far before that row, so no such
 * change is skipped (admin transactions last milliseconds; this covers lock waits).
 */
const CHANGED_SINCE_OVERLAP_MS = 60_000;

/** The rows changed since the newest `updated_at` a previous read saw (every row without one), by the table's updated_at index. */
export async function rowsChangedSince<T extends ObjectLiteral & { updatedAt: Date }>(repository: Repository<T>, since: Date | null): Promise<T[]> {
  const where = (since === null ? {} : { updatedAt: MoreThanOrEqual(new Date(since.getTime() - CHANGED_SINCE_OVERLAP_MS)) }) as FindOptionsWhere<T>;
  return repository.find({ where });
}

/** The newest of `current` and the rows' updated_at. */
export function newestUpdate(current: Date | null, rows: ReadonlyArray<{ updatedAt: Date }>): Date | null {
  return rows.reduce<Date | null>((newest, row) => later(newest, row.updatedAt), current);
}

/** The later of two times, either of which may be unknown. */
export function later(a: Date | null, b: Date | null): Date | null {
  return a === null || (b !== null && b > a) ? b : a;
}
