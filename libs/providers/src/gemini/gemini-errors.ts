import { OpenAIErrorBody } from '@tollgate/common';
import { foreignErrorBody } from '../http/foreign-error-body';
import { isRetryable, retriedByStatus } from '../http/retry-advice';
import { ProviderError } from '../provider-adapter';
import { GoogleError } from './gemini.types';

/**
 * A Gemini error response → what the client gets. Google's body is `{"error":{code, message,
 * status, details}}`, sometimes wrapped in a one-element array. The API key is the gateway's
 * stored credential, not the client's, so Google refusing it (401/403, or 400 with reason
 * API_KEY_INVALID, which is how Gemini reports a bad key) is an upstream fault: 502
 * `upstream_auth_error`. Other 4xx stay as they are; 429 and 5xx are retryable (but see
 * onlyDailyQuotasExhausted).
 */
export function toGeminiProviderError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>): ProviderError {
  const text = body.toString('utf8');
  const error = parseGoogleError(text);
  if (status === 401 || status === 403 || isInvalidKey(error)) {
    // The provider's message is not passed on: a credential failure must not echo any part of the key.
    const reason = error?.status ?? `HTTP ${status}`;
    return { status: 502, body: openAIError(`Gemini rejected the gateway's stored credential (${reason}). Ask an admin to check the provider setting.`, 'api_error', 'upstream_auth_error'), retryable: false, retryAfter: null };
  }
  const retryable = isRetryable(status, headers, onlyDailyQuotasExhausted(error));
  // Kept on the statuses it belongs to even when not retried: it still says when to come back.
  const retryAfter = retryable || retriedByStatus(status) ? retryAfterOf(headers, error) : null;
  if (!error) {
    // An HTML page or plain text from something in front of Google.
    const foreign = foreignErrorBody(status, text);
    return { status, body: openAIError(foreign.message, typeFor(status, undefined), `upstream_${status}`), retryable, retryAfter, logDetail: foreign.logDetail };
  }
  return { status, body: fromGoogleError(status, error), retryable, retryAfter };
}

/** Also used for `{"error":{...}}` payloads inside a stream. */
export function fromGoogleError(status: number, error: GoogleError | null): OpenAIErrorBody {
  if (!error) return openAIError(`Gemini returned HTTP ${status}`, typeFor(status, undefined), `upstream_${status}`);
  return openAIError(error.message ?? `Gemini returned HTTP ${status}`, typeFor(status, error.status), error.status ? error.status.toLowerCase() : null);
}

export function parseGoogleError(text: string): GoogleError | null {
  try {
    const parsed: unknown = JSON.parse(text);
    const first: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
    const error = (first as { error?: unknown } | null)?.error;
    return error !== null && typeof error === 'object' ? (error as GoogleError) : null;
  } catch {
    return null;
  }
}

function typeFor(status: number, googleStatus: string | undefined): string {
  if (status === 429 || googleStatus === 'RESOURCE_EXHAUSTED') return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/**
 * Whether a 429 RESOURCE_EXHAUSTED ran past per-day quotas only. Google answers every quota the
 * same way (429, RESOURCE_EXHAUSTED, often "You exceeded your current quota, please check your
 * plan and billing details" whatever the quota), and documents it as a rate limit: per-minute
 * ones (requests, tokens) clear within a minute and are worth a retry, so a RESOURCE_EXHAUSTED
 * stays retryable by default. Its QuotaFailure detail names the quotas run past; when every one
 * is a per-day quota (GenerateRequestsPerDayPerProjectPerModel-FreeTier), nothing clears before
 * midnight Pacific time, when Google resets them, and a retry only delays the client's error.
 * Quota ids are Google's names, not a documented contract: anything else, no detail included,
 * stays retryable, a wait Google states (RetryInfo) past a minute still not left to the SDK.
 */
function onlyDailyQuotasExhausted(error: GoogleError | null): boolean {
  if (error?.status !== 'RESOURCE_EXHAUSTED') return false;
  const quotaIds = (error.details ?? []).flatMap((detail) => detail?.violations ?? []).map((violation) => violation?.quotaId);
  return quotaIds.length > 0 && quotaIds.every((id) => typeof id === 'string' && /PerDay/.test(id));
}

function isInvalidKey(error: GoogleError | null): boolean {
  return (error?.details ?? []).some((detail) => detail?.reason === 'API_KEY_INVALID');
}

/** The retry-after header when present, else the delay of Google's RetryInfo detail ("17s"). */
function retryAfterOf(headers: Record<string, string | string[] | undefined>, error: GoogleError | null): string | null {
  const header = headers['retry-after'];
  const value = Array.isArray(header) ? header[0] : header;
  if (value) return value;
  const delay = (error?.details ?? []).map((detail) => detail?.retryDelay).find((d): d is string => typeof d === 'string');
  const seconds = delay ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined;
  return seconds ? String(Math.ceil(Number(seconds))) : null;
}

function openAIError(message: string, type: string, code: string | null): OpenAIErrorBody {
  return { error: { message, type, param: null, code } };
}
