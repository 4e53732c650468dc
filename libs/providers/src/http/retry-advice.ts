import { LONGEST_SDK_RETRY_WAIT_SECONDS, firstHeader } from '@tollgate/common';

type Headers = Record<string, string | string[] | undefined>;

/**
 * The gateway sends each request upstream once and never retries it itself: whether a failure is
 * tried again is the client's SDK's decision, made from the status and the x-should-retry,
 * retry-after-ms and retry-after headers the gateway answers with. These functions decide what
 * those headers say.
 */

/** What the official OpenAI and Anthropic SDKs retry when no x-should-retry says otherwise. */
export function retriedByStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The upstream's own x-should-retry: true, false, or null when it sent none (or something else). */
export function upstreamShouldRetry(headers: Headers): boolean | null {
  const value = firstHeader(headers['x-should-retry'])?.trim().toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : null;
}

/**
 * Whether the same request, sent again to the same provider account, may succeed. The upstream's
 * x-should-retry decides first, as the SDKs read it; else the status does, unless the body says
 * the failure outlasts any retry (`lasting`: an account out of credit).
 */
export function isRetryable(status: number, headers: Headers, lasting = false): boolean {
  return upstreamShouldRetry(headers) ?? (!lasting && retriedByStatus(status));
}

/**
 * How long an SDK would wait before retrying, in milliseconds, as it reads the headers:
 * retry-after-ms first (Azure's), then retry-after in seconds or as an HTTP date. Null when
 * neither says (the SDK then backs off by itself, for a few seconds at most).
 */
export function retryWaitMs(retryAfterMs: string | null, retryAfter: string | null, now = Date.now()): number | null {
  const millis = retryAfterMs === null ? NaN : parseFloat(retryAfterMs);
  if (!Number.isNaN(millis)) return millis;
  if (retryAfter === null) return null;
  const seconds = parseFloat(retryAfter);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? null : date - now;
}

/**
 * The x-should-retry the client gets with an upstream error: `retryable` unless the wait the
 * upstream asks for (its retry-after-ms, else `retryAfter`, the retry-after the client gets) is
 * past LONGEST_SDK_RETRY_WAIT_SECONDS: the SDK would hold its caller for all of it, so the error
 * goes at once, retry-after kept for clients that schedule their own retry. Null (no header)
 * where the SDK's own rule by status gives the same answer and the upstream sent none.
 */
export function shouldRetryHeader(status: number, retryable: boolean, upstream: Headers, retryAfter: string | null): 'true' | 'false' | null {
  const waitMs = retryWaitMs(firstHeader(upstream['retry-after-ms']) ?? null, retryAfter);
  const advice = retryable && !(waitMs !== null && waitMs > LONGEST_SDK_RETRY_WAIT_SECONDS * 1000);
  if (upstreamShouldRetry(upstream) === null && advice === retriedByStatus(status)) return null;
  return advice ? 'true' : 'false';
}
