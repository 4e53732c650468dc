import { OpenAIErrorBody, firstHeader } from '@tollgate/common';
import { foreignErrorBody } from '../http/foreign-error-body';
import { isRetryable, retriedByStatus } from '../http/retry-advice';
import { ProviderError } from '../provider-adapter';
import { AnthropicErrorBody, AnthropicErrorType } from './anthropic.types';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Anthropic's HTTP errors (https://docs.anthropic.com/en/api/errors) → OpenAI's error body.
 *
 * - `code` keeps Anthropic's own error type (`overloaded_error`, `not_found_error`, ...), so
 *   the event and the client see what actually failed; `type` is the OpenAI-side class.
 * - 401/403 (and 402 billing) are about the gateway's stored credential, not the client's
 *   request: the client gets 502 `upstream_auth_error` / `upstream_billing_error`, never a 401
 *   that would read as "your gateway key is wrong".
 * - 529 (overloaded) is not a status OpenAI clients know: it becomes 503, which they retry.
 */
export function toProviderError(status: number, body: Buffer | string, headers: Headers): ProviderError {
  const parsed = parseAnthropicError(body);
  // Every 429 stays retryable: Anthropic documents one rate_limit_error for all of them, and
  // tells a spend limit apart from a per-minute one only in its message, which is no contract.
  // A long wait is still not left to the SDK (see shouldRetryHeader), and an account out of
  // credit is a 402 (below) or a 400, which no SDK retries.
  const retryable = isRetryable(status, headers);
  // Kept on the statuses it belongs to even when not retried: it still says when to come back.
  const retryAfter = retryable || retriedByStatus(status) ? header(headers, 'retry-after') : null;

  const credential = CREDENTIAL_FAILURES[status];
  if (credential) {
    // The provider's message is not passed on: a credential failure must not echo any part of the key.
    const detail = parsed ? parsed.type : `status ${status}`;
    return {
      status: 502,
      body: openAIError(`Anthropic rejected the gateway's stored provider credential (${detail}). Ask an admin to check the provider setting.`, 'api_error', credential),
      retryable: false,
      retryAfter: null,
      // A 402 is the account's billing (no credit left, a failed payment): the operator is warned.
      ...(status === 402 ? { accountOutOfCredit: true } : {}),
    };
  }
  const clientStatus = status === 529 ? 503 : status;
  if (!parsed) {
    // An HTML page or plain text from something in front of Anthropic: wrapped, as for OpenAI.
    const foreign = foreignErrorBody(status, body.toString());
    return {
      status: clientStatus,
      body: openAIError(foreign.message, status >= 500 ? 'api_error' : 'invalid_request_error', `upstream_${status}`),
      retryable,
      retryAfter,
      logDetail: foreign.logDetail,
    };
  }
  return {
    status: clientStatus,
    body: openAIError(parsed.message, fromAnthropicErrorType(parsed.type), parsed.type),
    retryable,
    retryAfter,
    // Still the client's 400, as Anthropic sent it; only the operator is warned.
    ...(isCreditBalanceTooLow(status, parsed) ? { accountOutOfCredit: true } : {}),
  };
}

/**
 * Anthropic's answer to an account whose credit ran out: not always the 402 billing_error, but
 * a 400 invalid_request_error saying "Your credit balance is too low to access the Anthropic
 * API. Please go to Plans & Billing to upgrade or purchase credits." Nothing but the message
 * tells it from a bad request, so the message is read: only this documented phrase, on only that
 * status and type. Misread, it costs nothing the client sees (the answer is relayed unchanged):
 * at worst the operator is warned needlessly, or, if Anthropic rewords it, not at all, as before.
 */
function isCreditBalanceTooLow(status: number, error: { type: string; message: string }): boolean {
  return status === 400 && error.type === 'invalid_request_error' && error.message.toLowerCase().includes('credit balance is too low');
}

/** Statuses that mean the stored credential (or its account) failed, with the client-facing code. */
const CREDENTIAL_FAILURES: Record<number, string> = {
  401: 'upstream_auth_error',
  403: 'upstream_auth_error',
  402: 'upstream_billing_error',
};

/** OpenAI's `error.type` class for an Anthropic error type (also used for in-stream errors). */
export function fromAnthropicErrorType(type: string): string {
  switch (type) {
    case 'rate_limit_error':
      return 'rate_limit_error';
    case 'api_error':
    case 'overloaded_error':
    case 'timeout_error':
      return 'api_error';
    default:
      return 'invalid_request_error';
  }
}

const TYPE_BY_STATUS: Record<number, AnthropicErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/**
 * Anthropic's own error shape, for the gateway's native `/api/providers/anthropic/...` path,
 * where clients speak Anthropic's protocol and its SDK parses this body.
 */
export function toAnthropicErrorBody(status: number, message: string, type?: AnthropicErrorType): AnthropicErrorBody {
  return {
    type: 'error',
    error: { type: type ?? TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message },
  };
}

/** Anthropic's `{type, message}` from an error body, or null when the body is not Anthropic's error shape. */
export function parseAnthropicError(body: Buffer | string): { type: string; message: string } | null {
  try {
    const parsed = JSON.parse(body.toString()) as Partial<AnthropicErrorBody> | null;
    const error = parsed?.error;
    if (error && typeof error.type === 'string' && typeof error.message === 'string') return { type: error.type, message: error.message };
  } catch {
    // not JSON
  }
  return null;
}

function openAIError(message: string, type: string, code: string): OpenAIErrorBody {
  return { error: { message, type, param: null, code } };
}

function header(headers: Headers, name: string): string | null {
  return firstHeader(headers[name]) || null;
}
