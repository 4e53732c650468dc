import { FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';

/**
 * Reads a row locked for update, changes it and saves it, in one transaction. Concurrent updates
 * of the same row then run one after the other: without the lock, an update that read the row
 * before another one committed writes that other's fields back (a revocation undone by a rename).
 * `change` gets the transaction's repository, to save with. Null when no row matches.
 */
export async function updateLocked<T extends ObjectLiteral>(
  repository: Repository<T>,
  where: FindOptionsWhere<T>,
  change: (entity: T, repository: Repository<T>) => Promise<T>,
): Promise<T | null> {
  return repository.manager.transaction(async (manager) => {
    const locked = manager.getRepository<T>(repository.target);
    const entity = await locked.findOne({ where, lock: { mode: 'pessimistic_write' } });
    return entity === null ? null : change(entity, locked);
  });
}
