import { QueryFailedError } from 'typeorm';

/** What Postgres said when it refused a statement: its SQLSTATE and, where it names them, the constraint and column. */
export interface PostgresRefusal {
  code: string;
  message: string;
  constraint?: string;
  column?: string;
}

/**
 * Postgres refused the data itself: a data exception (SQLSTATE class 22: a value out of a
 * column's range, text it cannot store, a malformed uuid or date) or an integrity constraint
 * violation (class 23: NOT NULL, CHECK, unique, foreign key). The same statement with the same
 * values is refused every time. Anything else (a lost connection, a timeout, a serialization
 * failure or deadlock, a server shutting down or out of resources: classes 08, 40, 53, 57; a
 * missing column before a migration) may pass on a later attempt.
 */
export function dataRefusalOf(error: unknown): PostgresRefusal | null {
  if (!(error instanceof QueryFailedError)) return null;
  const { code, constraint, column } = error as QueryFailedError & { code?: unknown; constraint?: unknown; column?: unknown };
  if (typeof code !== 'string' || !/^2[23]/.test(code)) return null;
  return {
    code,
    message: error.message,
    ...(typeof constraint === 'string' ? { constraint } : {}),
    ...(typeof column === 'string' ? { column } : {}),
  };
}
