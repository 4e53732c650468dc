import { Injectable } from '@nestjs/common';

/** The limit store's calls, as metrics label them. */
export const LIMIT_STORE_OPERATIONS = ['admit', 'settle', 'refresh', 'hold', 'hydrate', 'is_hydrated', 'try_lock', 'unlock'] as const;
export type LimitStoreOperation = (typeof LIMIT_STORE_OPERATIONS)[number];

/**
 * How many calls to the limit store failed, by operation, since the process started: the app's
 * metrics show them (`tollgate_limit_store_failures_total`), so that degraded limits (requests
 * of limited keys refused with 503, spend not settled) are seen, not only read in the logs.
 */
@Injectable()
export class LimitStoreFailures {
  private readonly counts = Object.fromEntries(LIMIT_STORE_OPERATIONS.map((operation) => [operation, 0])) as Record<LimitStoreOperation, number>;

  count(operation: LimitStoreOperation): void {
    this.counts[operation] += 1;
  }

  totals(): Readonly<Record<LimitStoreOperation, number>> {
    return this.counts;
  }
}
