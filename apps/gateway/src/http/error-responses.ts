import { HttpException, HttpStatus } from '@nestjs/common';
import { GATEWAY_ERROR_SPECS, GatewayError, GatewayErrorCode } from '@tollgate/common';

/** The admin API's documented error body. */
export interface AdminProblem {
  status: number;
  title: string;
  type: string;
  detail: string;
  instance: string;
}

/** Any thrown value, as a GatewayError: domain errors as they are, framework errors mapped. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof HttpException) return fromHttpException(error);
  // Postgres's query_canceled: the statement timeout (30 s) cut a query short.
  if ((error as { driverError?: { code?: unknown } } | null)?.driverError?.code === '57014') {
    return new GatewayError(GatewayErrorCode.QueryTimeout, 'the database query took longer than its 30 s limit: narrow the time range or add filters', null, { 'retry-after': '30' });
  }
  if (isDatabaseUnreachable(error)) {
    return new GatewayError(GatewayErrorCode.DatabaseUnavailable, 'the database cannot be reached right now; try again shortly', null, { 'retry-after': '5' });
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError?.statusCode === 'number') return fromFastifyError(fastifyError);
  return new GatewayError(GatewayErrorCode.Internal, 'the gateway failed to handle this request');
}

/** Postgres's shutdown codes (class 08, connection exceptions, is matched by its prefix). */
const POSTGRES_SHUTDOWN_CODES = new Set(['57P01', '57P02', '57P03']);
/**
 * A connection that could not be opened, as Node reports it for the database pool's sockets. A
 * sidecar in front of Postgres (Envoy, pgbouncer, a cloud SQL proxy) accepts and resets instead
 * of refusing when Postgres is gone: ECONNRESET on connect.
 */
const CONNECT_FAILURE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * An open connection that broke, as Node reports it for a socket (`read ECONNRESET`): the pool's
 * connections are the only sockets behind the admin API whose errors arrive unwrapped (ioredis
 * and undici raise their own), and a client that left carries a statusCode.
 */
const BROKEN_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Whether an error says Postgres could not be reached, rather than that a request or a query was
 * wrong. Narrow on purpose: errors of the HTTP layer (a client that left mid-body is an
 * ECONNRESET with a statusCode) and of anything else must keep their own meaning. Counted:
 * Postgres's connection-exception and shutdown codes (TypeORM keeps the driver's error), a
 * socket that could not connect or that broke, and the pg client's and pool's own messages for a lost or unobtainable connection
 * (errors without a code; a Postgres error quoting input has one).
 */
function isDatabaseUnreachable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  if (typeof (error as { statusCode?: unknown }).statusCode === 'number') return false;
  const cause = ((error as { driverError?: unknown }).driverError ?? error) as { code?: unknown; message?: unknown; syscall?: unknown };
  if (typeof cause.code === 'string') {
    if (cause.code.startsWith('08') || POSTGRES_SHUTDOWN_CODES.has(cause.code)) return true;
    if (BROKEN_CONNECTION_CODES.has(cause.code) && (cause.syscall === 'read' || cause.syscall === 'write')) return true;
    return CONNECT_FAILURE_CODES.has(cause.code) && (cause.syscall === 'connect' || cause.syscall === 'getaddrinfo');
  }
  return typeof cause.message === 'string' && /^(Connection terminated|timeout exceeded when trying to connect)/.test(cause.message);
}

function fromHttpException(error: HttpException): GatewayError {
  const status = error.getStatus();
  const response = error.getResponse();
  const message =
    typeof response === 'object' && response !== null && 'message' in response
      ? ([] as unknown[]).concat((response as { message: unknown }).message).join('; ')
      : error.message;
  const code = codeForStatus(status);
  const mapped = new GatewayError(code, message);
  return mapped;
}

function fromFastifyError(error: { statusCode?: number; code?: string; message?: string }): GatewayError {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError(GatewayErrorCode.InvalidJson, `the request body is not valid JSON: ${error.message ?? ''}`.trim());
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError(GatewayErrorCode.UnsupportedMediaType, 'unsupported Content-Type: send application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError(GatewayErrorCode.PayloadTooLarge, 'the request body is larger than this gateway accepts');
    default:
      if (error instanceof SyntaxError) {
        return new GatewayError(GatewayErrorCode.InvalidJson, `the request body is not valid JSON: ${error.message}`);
      }
      return new GatewayError(codeForStatus(error.statusCode ?? 500), error.message ?? 'request failed');
  }
}

function codeForStatus(status: number): GatewayErrorCode {
  switch (status) {
    case HttpStatus.BAD_REQUEST:
      return GatewayErrorCode.InvalidRequest;
    case HttpStatus.UNAUTHORIZED:
      return GatewayErrorCode.InvalidApiKey;
    case HttpStatus.NOT_FOUND:
      return GatewayErrorCode.NotFound;
    case HttpStatus.CONFLICT:
      return GatewayErrorCode.Conflict;
    case HttpStatus.PAYLOAD_TOO_LARGE:
      return GatewayErrorCode.PayloadTooLarge;
    case HttpStatus.UNSUPPORTED_MEDIA_TYPE:
      return GatewayErrorCode.UnsupportedMediaType;
    case HttpStatus.TOO_MANY_REQUESTS:
      return GatewayErrorCode.RateLimitExceeded;
    default:
      return status >= 400 && status < 500 ? GatewayErrorCode.InvalidRequest : GatewayErrorCode.Internal;
  }
}

export function toAdminProblem(error: GatewayError, instance: string): AdminProblem {
  const status = GATEWAY_ERROR_SPECS[error.code].status;
  return {
    status,
    title: ADMIN_TITLES[error.code],
    type: `/errors/${ADMIN_TYPES[error.code] ?? error.code.replace(/_/g, '-')}`,
    detail: error.message,
    instance,
  };
}

/** Types the reference documents under their own name; the others are the error code. */
const ADMIN_TYPES: Partial<Record<GatewayErrorCode, string>> = {
  [GatewayErrorCode.InvalidJson]: 'request-body-read',
};

const ADMIN_TITLES: Record<GatewayErrorCode, string> = {
  [GatewayErrorCode.InvalidApiKey]: 'unauthorized',
  [GatewayErrorCode.InvalidRequest]: 'bad request',
  [GatewayErrorCode.InvalidJson]: 'request body reader error',
  [GatewayErrorCode.UnsupportedMediaType]: 'unsupported media type',
  [GatewayErrorCode.PayloadTooLarge]: 'payload too large',
  [GatewayErrorCode.HeadersTooLarge]: 'request header fields too large',
  [GatewayErrorCode.RequestTimeout]: 'request timeout',
  [GatewayErrorCode.NotFound]: 'not found',
  [GatewayErrorCode.ModelNotFound]: 'not found',
  [GatewayErrorCode.Conflict]: 'conflict',
  [GatewayErrorCode.ProviderNotConfigured]: 'bad request',
  [GatewayErrorCode.PathNotAllowed]: 'forbidden',
  [GatewayErrorCode.ModelNotAllowed]: 'forbidden',
  [GatewayErrorCode.ModelNotPriced]: 'bad request',
  [GatewayErrorCode.UserBlocked]: 'forbidden',
  [GatewayErrorCode.RateLimitExceeded]: 'too many requests',
  [GatewayErrorCode.CostLimitExceeded]: 'too many requests',
  [GatewayErrorCode.LimitsUnavailable]: 'service unavailable',
  [GatewayErrorCode.Overloaded]: 'service unavailable',
  [GatewayErrorCode.UpstreamAuth]: 'bad gateway',
  [GatewayErrorCode.UpstreamUnreachable]: 'bad gateway',
  [GatewayErrorCode.UpstreamTimeout]: 'gateway timeout',
  [GatewayErrorCode.QueryTimeout]: 'query took too long',
  [GatewayErrorCode.DatabaseUnavailable]: 'service unavailable',
  [GatewayErrorCode.Internal]: 'internal server error',
  [GatewayErrorCode.ProviderSettingUnreadable]: 'internal server error',
};
