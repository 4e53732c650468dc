import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ObjectLiteral, QueryFailedError, Repository } from 'typeorm';

/** Postgres's unique_violation: a duplicate the caller should hear about as a conflict, not a 500. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23505';
}

/** Saves the entity; a duplicate becomes the API's 409 conflict, naming the field (`param`) at fault. */
export async function saveOrConflict<T extends ObjectLiteral>(repository: Repository<T>, entity: T, message: string, param: string): Promise<T> {
  try {
    return await repository.save(entity);
  } catch (error) {
    if (isUniqueViolation(error)) throw new GatewayError(GatewayErrorCode.Conflict, message, param);
    throw error;
  }
}
