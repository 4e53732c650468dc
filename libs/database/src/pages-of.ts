import { FindOptionsOrder, FindOptionsWhere, MoreThan, ObjectLiteral, Repository } from 'typeorm';

/**
 * Rows per page when a whole table is read into memory. TypeORM builds a page's entities in
 * one synchronous burst: 100,000 keys read at once held the event loop for about 0.7 s, and
 * every proxied request with it.
 */
export const ROWS_PER_PAGE = 2_000;

/** A whole table, in pages ordered by `key` (unique), each page its own query. */
export async function* pagesOf<T extends ObjectLiteral>(repository: Repository<T>, key: keyof T & string, rowsPerPage = ROWS_PER_PAGE): AsyncGenerator<T[]> {
  let after: unknown = undefined;
  for (;;) {
    const page = await repository.find({
      where: (after === undefined ? {} : { [key]: MoreThan(after) }) as FindOptionsWhere<T>,
      order: { [key]: 'ASC' } as FindOptionsOrder<T>,
      take: rowsPerPage,
    });
    if (page.length > 0) yield page;
    if (page.length < rowsPerPage) return;
    after = page[page.length - 1][key];
  }
}
