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
 * How long the headers ask an SDK to wait before retrying, in milliseconds, read as the OpenAI and
 * Anthropic Node SDKs read them (their retryRequest): retry-after-ms (Azure's) when parseFloat
 * finds a number in it; then retry-after, unless that gave a wait other than 0 (their
 * `!timeoutMillis`): a retry-after-ms of 0 is no answer, and an hour's retry-after beside it is
 * what the SDK waits. retry-after is seconds (parseFloat again: "12abc" is 12), else an HTTP date.
 * Null when neither says (the SDK backs off by itself, for a few seconds at most).
 *
 * What the SDKs then do differs, but never makes a wait this reads as short a long one: 0 or less
 * (a negative retry-after-ms, a past date) OpenAI's sleeps at once and Anthropic's replaces with
 * its own backoff. Past 2^31 - 1 ms (24.8 days) neither waits either (Node's setTimeout fires at
 * once; Anthropic's backs off): it is still long here, the retries it would get being pointless.
 */
export function retryWaitMs(retryAfterMs: string | null, retryAfter: string | null, now = Date.now()): number | null {
  let waitMs: number | undefined;
  // An empty header is absent to them (`if (header)`); fetch's Headers trims what it hands them.
  const millis = retryAfterMs?.trim() ? parseFloat(retryAfterMs) : NaN;
  if (!Number.isNaN(millis)) waitMs = millis;
  if (retryAfter?.trim() && !waitMs) {
    const seconds = parseFloat(retryAfter);
    waitMs = Number.isNaN(seconds) ? Date.parse(retryAfter) - now : seconds * 1000;
  }
  return waitMs === undefined || Number.isNaN(waitMs) ? null : waitMs;
}

/**
 * The x-should-retry the client gets with an upstream error: `retryable` unless the wait the
 * upstream asks for (its retry-after-ms, else `retryAfter`, the retry-after the client gets) is
 * past LONGEST_SDK_RETRY_WAIT_SECONDS: the SDK would hold its caller for all of it, so the error
 * goes at once, retry-after kept for clients that schedule their own retry. Null (no header)
 * where the SDK's own rule by status gives the same answer and the upstream sent none.
 */
export function shouldRetryHeader(status: number, retryable: boolean, upstream: Headers, retryAfter: string | null): 'true' | 'false' | null {
  // The retry-after-ms the client gets: relayedErrorHeaders passes on a single one, not a repeated one.
  const retryAfterMs = upstream['retry-after-ms'];
  const waitMs = retryWaitMs(typeof retryAfterMs === 'string' ? retryAfterMs : null, retryAfter);
  const advice = retryable && !(waitMs !== null && waitMs > LONGEST_SDK_RETRY_WAIT_SECONDS * 1000);
  if (upstreamShouldRetry(upstream) === null && advice === retriedByStatus(status)) return null;
  return advice ? 'true' : 'false';
}
