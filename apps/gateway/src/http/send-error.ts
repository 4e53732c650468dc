import { GatewayError, GatewayErrorCode, LogThrottle, Logger } from '@tollgate/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { errorStyleOf, toProxyErrorBody } from '../proxy/error-style';
import { toAdminProblem, toGatewayError } from './error-responses';
import { Surface, surfaceOf } from './surface';

const databaseDownLog = new LogThrottle();

/**
 * Writes any error in the shape of the listener it arrived on: OpenAI's error body on the
 * proxy, the documented problem JSON on the admin API. Used by the Nest exception filter and
 * by Fastify's own error handler (body parsing fails before Nest sees the request).
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, thrown: unknown, logger: Logger): void {
  const error = toGatewayError(thrown);
  if (error.code === GatewayErrorCode.Internal) {
    logger.error({ err: thrown, reqId: request.id }, 'unhandled error');
  } else if (error.code === GatewayErrorCode.DatabaseUnavailable) {
    // Every request that needs Postgres fails while it is away: one line per interval.
    databaseDownLog.note((occurrences) => logger.warn({ err: thrown, reqId: request.id, occurrences }, 'database unavailable'));
  } else if (error.code === GatewayErrorCode.QueryTimeout) {
    logger.warn({ reqId: request.id, path: pathOf(request.url) }, 'database query timed out');
  }
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  const body = surfaceOf(request.raw) === Surface.Admin ? toAdminProblem(error, pathOf(request.url)) : toProxyErrorBody(error, errorStyleOf(request.url));
  void reply.status(error.status).headers(error.headers).header('content-type', 'application/json; charset=utf-8').send(body);
}

/** A request target in origin form: an absolute URL (`http://host/path?q`, the form sent to proxies) loses its scheme and host. */
export function originFormOf(url: string): string {
  if (url.startsWith('/')) return url;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(url);
  if (!absolute) return url;
  return absolute[1].startsWith('/') ? absolute[1] : `/${absolute[1]}`;
}

/** The path of a request URL, without its query or fragment (neither belongs in logs or checks). */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * The path below a catch-all route's prefix, as the client wrote it (the provider decodes it,
 * not the gateway). The router matched the decoded path, so the raw one may spell the prefix
 * differently (`/v%31/responses`): cutting it by length would then leave `31/responses`, which
 * joined to a base URL escapes its path (`/tenant-a31/...`). Only the literal prefix is served.
 */
export function pathBelow(url: string, prefix: string): string {
  const path = pathOf(url);
  if (!path.startsWith(`${prefix}/`)) throw new GatewayError(GatewayErrorCode.NotFound, `Cannot serve ${path}: spell ${prefix} without percent-encoding`);
  return path.slice(prefix.length);
}

export { GatewayError };
