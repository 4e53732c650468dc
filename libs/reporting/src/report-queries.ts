import { ConcurrencyLimit, GatewayError, GatewayErrorCode } from '@tollgate/common';

/** Injection token of the limit on reporting queries running at once. */
export const REPORT_QUERIES = Symbol('REPORT_QUERIES');

/**
 * Reporting queries (event lists, metrics, top keys, distinct ids) may each scan millions of
 * rows for seconds, on the pool the whole gateway shares (10 connections): the readiness probe,
 * config reloads and admin writes. At most 3 run at once per process; 50 more wait their turn;
 * beyond that a report is refused, to be asked again shortly.
 */
export function createReportQueriesLimit(): ConcurrencyLimit {
  return new ConcurrencyLimit(3, 50, () => new GatewayError(GatewayErrorCode.RateLimitExceeded, 'Too many reports are running on this gateway: try again in a few seconds.', null, { 'retry-after': '5' }));
}
