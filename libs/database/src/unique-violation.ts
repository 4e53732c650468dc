import { QueryFailedError } from 'typeorm';

/** Postgres's unique_violation: a duplicate the caller should hear about as a conflict, not a 500. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23505';
}
