/**
 * Domain errors with a code enum. Each transport maps codes to its own wire shape:
 * the proxy to OpenAI's `{"error":{...}}`, the admin API to the documented problem JSON.
 */
export enum GatewayErrorCode {
  InvalidApiKey = 'invalid_api_key',
  InvalidRequest = 'invalid_request_error',
  InvalidJson = 'invalid_json',
  UnsupportedMediaType = 'unsupported_media_type',
  PayloadTooLarge = 'payload_too_large',
  /** The request line and headers are larger than Node's HTTP parser takes. */
  HeadersTooLarge = 'request_headers_too_large',
  /** The client did not finish sending its request in time. */
  RequestTimeout = 'request_timeout',
  NotFound = 'not_found',
  /** OpenAI's code for a model that does not exist (or the key cannot see). */
  ModelNotFound = 'model_not_found',
  Conflict = 'conflict',
  ProviderNotConfigured = 'provider_not_configured',
  PathNotAllowed = 'path_not_allowed',
  ModelNotAllowed = 'model_not_allowed',
  ModelNotPriced = 'model_not_priced',
  UserBlocked = 'user_blocked',
  RateLimitExceeded = 'rate_limit_exceeded',
  CostLimitExceeded = 'cost_limit_exceeded',
  LimitsUnavailable = 'limits_unavailable',
  /** The gateway holds as many request bodies as it may (MAX_BODY_BYTES_IN_FLIGHT): retry shortly. */
  Overloaded = 'gateway_overloaded',
  UpstreamAuth = 'upstream_auth_error',
  UpstreamUnreachable = 'upstream_unreachable',
  UpstreamTimeout = 'upstream_timeout',
  /** A database query ran past its statement timeout (an admin report over too wide a range). */
  QueryTimeout = 'query_timeout',
  /** Postgres could not be reached (down, restarting, the network between): retry shortly. */
  DatabaseUnavailable = 'database_unavailable',
  Internal = 'internal_error',
  ProviderSettingUnreadable = 'provider_setting_unreadable',
}

interface CodeSpec {
  status: number;
  /** OpenAI's `error.type` for this code. */
  type: string;
}

/** Exhaustive: adding a code without a mapping fails to compile. */
export const GATEWAY_ERROR_SPECS: Record<GatewayErrorCode, CodeSpec> = {
  [GatewayErrorCode.InvalidApiKey]: { status: 401, type: 'invalid_request_error' },
  [GatewayErrorCode.InvalidRequest]: { status: 400, type: 'invalid_request_error' },
  [GatewayErrorCode.InvalidJson]: { status: 400, type: 'invalid_request_error' },
  [GatewayErrorCode.UnsupportedMediaType]: { status: 415, type: 'invalid_request_error' },
  [GatewayErrorCode.PayloadTooLarge]: { status: 413, type: 'invalid_request_error' },
  [GatewayErrorCode.HeadersTooLarge]: { status: 431, type: 'invalid_request_error' },
  [GatewayErrorCode.RequestTimeout]: { status: 408, type: 'invalid_request_error' },
  [GatewayErrorCode.NotFound]: { status: 404, type: 'invalid_request_error' },
  [GatewayErrorCode.ModelNotFound]: { status: 404, type: 'invalid_request_error' },
  [GatewayErrorCode.Conflict]: { status: 409, type: 'invalid_request_error' },
  [GatewayErrorCode.ProviderNotConfigured]: { status: 400, type: 'invalid_request_error' },
  [GatewayErrorCode.PathNotAllowed]: { status: 403, type: 'permission_error' },
  [GatewayErrorCode.ModelNotAllowed]: { status: 403, type: 'permission_error' },
  [GatewayErrorCode.ModelNotPriced]: { status: 400, type: 'invalid_request_error' },
  [GatewayErrorCode.UserBlocked]: { status: 403, type: 'permission_error' },
  // OpenAI's own rate-limit errors use type "requests".
  [GatewayErrorCode.RateLimitExceeded]: { status: 429, type: 'requests' },
  [GatewayErrorCode.CostLimitExceeded]: { status: 429, type: 'insufficient_quota' },
  [GatewayErrorCode.LimitsUnavailable]: { status: 503, type: 'api_error' },
  [GatewayErrorCode.Overloaded]: { status: 503, type: 'api_error' },
  [GatewayErrorCode.UpstreamAuth]: { status: 502, type: 'api_error' },
  [GatewayErrorCode.UpstreamUnreachable]: { status: 502, type: 'api_error' },
  [GatewayErrorCode.UpstreamTimeout]: { status: 504, type: 'api_error' },
  [GatewayErrorCode.QueryTimeout]: { status: 503, type: 'api_error' },
  [GatewayErrorCode.DatabaseUnavailable]: { status: 503, type: 'api_error' },
  [GatewayErrorCode.Internal]: { status: 500, type: 'api_error' },
  [GatewayErrorCode.ProviderSettingUnreadable]: { status: 500, type: 'api_error' },
};

export class GatewayError extends Error {
  /**
   * For the operator's log, never the client: what the message leaves out on purpose (the
   * upstream address a connection failure names, say). See withLogDetail.
   */
  logDetail: string | null = null;

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly param: string | null = null,
    /** Response headers that belong with this error (retry-after, x-should-retry). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  get status(): number {
    return GATEWAY_ERROR_SPECS[this.code].status;
  }

  withLogDetail(detail: string): this {
    this.logDetail = detail;
    return this;
  }
}

/** OpenAI's error body, used on every proxy error response and in-stream error frame. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function toOpenAIErrorBody(error: GatewayError): OpenAIErrorBody {
  return {
    error: {
      message: error.message,
      type: GATEWAY_ERROR_SPECS[error.code].type,
      param: error.param,
      code: error.code,
    },
  };
}
