import { OpenAIErrorBody } from '@tollgate/common';
import { foreignErrorBody } from '../http/foreign-error-body';
import { isRetryable } from '../http/retry-advice';
import { ProviderError } from '../provider-adapter';

type Headers = Record<string, string | string[] | undefined>;

/**
 * An error from an OpenAI-compatible server, for an OpenAI client: OpenAI-shaped bodies pass
 * through, anything else is wrapped. 401/403 mean the gateway's stored credential was refused;
 * the caller's key is fine, so they become a 502-class `upstream_auth_error`.
 */
export function toOpenAIProviderError(status: number, raw: Buffer, headers: Headers): ProviderError {
  const retryAfter = typeof headers['retry-after'] === 'string' ? headers['retry-after'] : null;
  const parsed = parseOpenAIError(raw);
  const outOfCredit = parsed !== null && isOutOfCredit(parsed);
  const retryable = isRetryable(status, headers, outOfCredit);
  if (status === 401 || status === 403) {
    return {
      status: 502,
      body: {
        error: {
          // The provider's own message is not passed on: OpenAI's quotes part of the key.
          message: `The upstream provider refused the gateway's stored credential (HTTP ${status}). Ask an admin to check the provider setting.`,
          type: 'api_error',
          param: null,
          code: 'upstream_auth_error',
        },
      },
      retryable: false,
      retryAfter: null,
    };
  }
  if (parsed) return { status, body: withType(parsed, status), retryable, retryAfter, ...(outOfCredit ? { accountOutOfCredit: true } : {}) };
  const foreign = foreignErrorBody(status, raw.toString('utf8'));
  return {
    status,
    body: {
      error: {
        message: foreign.message,
        type: typeForStatus(status),
        param: null,
        code: `upstream_${status}`,
      },
    },
    retryable,
    retryAfter,
    logDetail: foreign.logDetail,
  };
}

/**
 * OpenAI's 429 for an account without credit left (`insufficient_quota`, as its type and its
 * code): a rate limit by status, which SDKs retry, but no wait ends it, only a payment does, and
 * the account is the gateway's stored one, not the client's to fix. Retrying it only delayed the
 * client's error (and counted against its key's rate limit and events each time). Only an admin
 * can end it: the operator is warned (accountOutOfCredit).
 */
function isOutOfCredit(body: OpenAIErrorBody): boolean {
  return body.error.type === 'insufficient_quota' || body.error.code === 'insufficient_quota';
}

/**
 * An OpenAI-shaped error body, relayed as the upstream wrote it (extra fields and `code: null`
 * included: SDKs read `err.code`), with only the shape's missing members filled in.
 */
function parseOpenAIError(raw: Buffer): OpenAIErrorBody | null {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as { error?: Record<string, unknown> } | null;
    const error = parsed?.error;
    if (!error || typeof error !== 'object' || typeof error.message !== 'string') return null;
    return {
      ...parsed,
      error: {
        ...error,
        message: error.message,
        type: typeof error.type === 'string' ? error.type : '',
        param: error.param ?? null,
        code: error.code ?? null,
      },
    } as OpenAIErrorBody;
  } catch {
    return null;
  }
}

/** A body without a type (Azure's 429s, many OpenAI-compatible servers) gets the one its status implies. */
function withType(body: OpenAIErrorBody, status: number): OpenAIErrorBody {
  return body.error.type === '' ? { ...body, error: { ...body.error, type: typeForStatus(status) } } : body;
}

/** OpenAI's error type for a status: what its own errors of that status carry. */
function typeForStatus(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}
