import { randomUUID } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { Env, GatewayError, GatewayErrorCode, LogThrottle, Logger, accessLogger } from '@tollgate/common';
import { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { GatewayMetrics, httpCompletion } from '../metrics/gateway-metrics';
import { AdminKeyVerifier } from '../admin/common/admin-key';
import '../proxy/gateway-request';
import { KeyAuthenticator } from '../proxy/key-authenticator';
import { BodyBudget, busyError } from './body-budget';
import { clientErrorResponder } from './client-errors';
import { toGatewayError } from './error-responses';
import { ConnectionDrain } from './drain';
import { parseWithExactNumbers } from './exact-numbers';
import { markQueryFromJsonBody, readUnparsedBody, takesJsonBodyOnGet } from './json-body-on-get';
import { MAX_JSON_DEPTH, jsonNestedDeeperThan } from './json-depth';
import { originFormOf, pathOf, sendError } from './send-error';
import { proxyCorsHook } from './proxy-cors';
import { Surface, declaredSurfaceOf, markAdminRequest, needsAdminKey, surfaceOf } from './surface';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Admin bodies are small JSON documents; MAX_BODY_BYTES is sized for prompts and uploads. */
const ADMIN_BODY_LIMIT_BYTES = 1024 * 1024;
/** Methods whose body Fastify never parses. */
const BODYLESS_METHODS = new Set(['GET', 'HEAD']);

/**
 * One Fastify instance behind two Node servers: the proxy listener (Fastify's own) and the
 * admin listener, which marks its requests before handing them to the same router. One
 * process, one DI container, one snapshot, yet admin can stay on a private port.
 */
export class DualListener {
  private handler: Handler | null = null;
  readonly adminServer: Server;
  readonly adminDrain: ConnectionDrain;
  /** Set when Fastify creates the proxy's server (createAdapter). */
  proxyDrain: ConnectionDrain | null = null;

  constructor() {
    this.adminServer = createServer((req, res) => {
      this.adminDrain.onRequest(req, res);
      markAdminRequest(req);
      toOriginForm(req);
      this.handler!(req, res);
    });
    this.adminDrain = new ConnectionDrain(this.adminServer);
    this.adminServer.on('clientError', clientErrorResponder(Surface.Admin));
    tuneServer(this.adminServer);
  }

  createAdapter(env: Env, logger: Logger): FastifyAdapter {
    return new TollgateFastifyAdapter({
      bodyLimit: env.maxBodyBytes,
      genReqId: () => randomUUID(),
      requestIdHeader: false,
      logger: false,
      return503OnClosing: true,
      // No Nest middleware is used: without middie, every request skips its onRequest hook.
      // (Adding Nest middleware needs this removed; until then the app fails at start.)
      skipMiddie: true,
      // Requests the HTTP parser refuses, in the proxy's error shape (the admin server has its own).
      clientErrorHandler: clientErrorResponder(Surface.Proxy),
      // Errors Fastify answers before routing (a malformed percent-encoding in the path): in the
      // listener's error shape, with the request id, like every other answer.
      frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
        void reply.header('x-request-id', request.id);
        sendError(request, reply, error, logger);
      },
      serverFactory: (handler: Handler) => {
        this.handler = handler;
        const server = createServer((req, res) => {
          drain.onRequest(req, res);
          toOriginForm(req);
          handler(req, res);
        });
        const drain = new ConnectionDrain(server);
        this.proxyDrain = drain;
        tuneServer(server);
        return server;
      },
    });
  }

  async listenAdmin(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.adminServer.once('error', reject);
      this.adminServer.listen(port, host, () => resolve());
    });
    return (this.adminServer.address() as AddressInfo).port;
  }

}

/**
 * Errors raised by Fastify itself (body parsing, size, media type) happen before Nest sees
 * the request. Nest would install a handler that flattens them into generic HttpExceptions,
 * losing which failure it was; ours (configureFastify) maps them precisely instead.
 */
class TollgateFastifyAdapter extends FastifyAdapter {
  override setErrorHandler(): ReturnType<FastifyAdapter['setErrorHandler']> {
    return this.getInstance();
  }

  /**
   * Nest's adapter hands a handler's Fastify route config to Fastify for @Get, @Post and the
   * like, but drops it for @All routes; the proxy's catch-all routes need theirs (their surface).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the base signature is any[]
  override all(...args: any[]): any {
    const handler: unknown = args[args.length - 1];
    const config: unknown = typeof handler === 'function' ? Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) : undefined;
    if (config !== undefined && args.length === 2) return super.all(args[0], { config }, handler);
    return super.all(...args);
  }
}

/**
 * A request line may carry an absolute URL (`GET http://host/path HTTP/1.1`, the form sent to
 * proxies). Fastify's router matches its path, but request.url keeps the whole URL, and the
 * proxy derives upstream paths from request.url: with the scheme and host left in, a crafted
 * host became part of the upstream path (or host). Only the path and query are kept.
 */
export function toOriginForm(req: IncomingMessage): void {
  if (req.url !== undefined && !req.url.startsWith('/')) req.url = originFormOf(req.url);
}

/** Keep-alive longer than common load balancers' idle timeouts, so they close first. */
function tuneServer(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}

export interface FastifyDependencies {
  logger: Logger;
  metrics: GatewayMetrics;
  keys: KeyAuthenticator;
  adminKeys: AdminKeyVerifier;
  /** Records the event of an authenticated proxy request refused before its route ran. */
  recordRefusal: (request: FastifyRequest, reply: FastifyReply, error: GatewayError) => void;
  /** Browser origins the proxy answers CORS for (see proxyCorsHook). */
  proxyCorsOrigins: '*' | string[];
  /** The proxy's request bodies held at once (MAX_BODY_BYTES_IN_FLIGHT). */
  bodies: BodyBudget;
}

/**
 * Fastify-level hooks shared by both listeners: request ids, CORS, surfaces, proxy
 * authentication, access log and metrics, pre-Nest errors.
 */
export function configureFastify(instance: FastifyInstance, { logger, metrics, keys, adminKeys, recordRefusal, proxyCorsOrigins, bodies }: FastifyDependencies): void {
  const bodiesFull = new LogThrottle();
  // Runs for the controllers' routes, which Nest registers when the app initialises (after this).
  instance.addHook('onRoute', (route) => {
    if (needsAdminKey(route.config)) route.bodyLimit = Math.min(ADMIN_BODY_LIMIT_BYTES, instance.initialConfig.bodyLimit ?? ADMIN_BODY_LIMIT_BYTES);
  });
  // OpenAI endpoints take JSON only; anything else is a 415, not a string body.
  instance.removeContentTypeParser('text/plain');
  // Fastify's own JSON parser (same limits, same prototype-poisoning refusals), fed the body as
  // bytes decoded once: by default it reads a string through a StringDecoder per request.
  instance.removeContentTypeParser('application/json');
  const parseJson = instance.getDefaultJsonParser('error', 'error');
  const parseJsonText = (request: FastifyRequest, text: string, done: (error: Error | null, value?: unknown) => void): void => {
    if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
      return done(new GatewayError(GatewayErrorCode.InvalidRequest, `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`), undefined);
    }
    let exact: { value: unknown } | undefined;
    try {
      exact = parseWithExactNumbers(text);
    } catch (error) {
      return done(error as Error, undefined);
    }
    if (exact) return done(null, exact.value);
    parseJson(request, text, done);
  };
  instance.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    // JSON is UTF-8 (RFC 8259); a body declared in another charset would be read wrong, and its
    // mangled text sent upstream.
    if (!isUtf8Charset(request.headers['content-type'])) {
      return done(new GatewayError(GatewayErrorCode.UnsupportedMediaType, 'unsupported charset: send JSON in UTF-8'), undefined);
    }
    // OpenAI's Python SDK sends content-type: application/json on every call, and httpx adds
    // content-length: 0 to a bodiless POST: cancelling a response or a batch was a 400 here,
    // never relayed. On the proxy, such a request has no body (operations that need one still
    // refuse it); admin bodies stay required.
    if (body.length === 0 && surfaceOf(request.raw) === Surface.Proxy) return done(null, undefined);
    parseJsonText(request, body.toString(), done);
  });
  // Fastify reads no GET body; the routes that take one as their query read it here
  // (json-body-on-get). A hook of those routes only: every other request, the proxy's above all,
  // pays nothing for it.
  const readJsonBodyOnGet = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method !== 'GET' || !hasBody(request)) return;
    // Whatever happens next, the body may be left partly unread: the connection is not reused.
    void reply.header('connection', 'close');
    if (!isJson(request.headers['content-type'])) {
      throw new GatewayError(GatewayErrorCode.UnsupportedMediaType, 'unsupported Content-Type: send the body as application/json, or the fields as query parameters');
    }
    const text = (await readUnparsedBody(request.raw, ADMIN_BODY_LIMIT_BYTES)).toString();
    const body = await new Promise<unknown>((resolve, reject) => parseJsonText(request, text, (error, value) => (error ? reject(error) : resolve(value))));
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError(GatewayErrorCode.InvalidRequest, 'the request body must be a JSON object');
    if (Object.keys(request.query as object).length > 0) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'send the fields either as query parameters or as a JSON body, not both');
    }
    markQueryFromJsonBody(body);
    request.query = body;
  };
  instance.addHook('onRoute', (route) => {
    if (!takesJsonBodyOnGet(route.config)) return;
    const existing = route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation];
    route.preValidation = [...existing, readJsonBodyOnGet];
  });
  // Native passthrough paths take uploads (files, audio, images) as bytes, relayed untouched.
  instance.addContentTypeParser(/^(multipart\/|application\/octet-stream|audio\/|image\/)/, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Fastify runs hooks in the order they are added: the request id goes on every answer, a CORS
  // preflight's too; the preflight is answered before any key is asked for.
  instance.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  const cors = proxyCorsHook(proxyCorsOrigins);
  if (cors) instance.addHook('onRequest', cors);
  instance.addHook('onRequest', (request, reply, done) => {
    // A fragment never belongs in a request line. The router stops reading the path at "#",
    // checks would read it whole, and the upstream client drops it: three different paths.
    if (request.url.includes('#')) {
      return refuse(request, reply, done, new GatewayError(GatewayErrorCode.InvalidRequest, 'The request URL may not contain a fragment ("#"); percent-encode it as %23 if it is data.'));
    }
    const surface = surfaceOf(request.raw);
    // Swagger UI is registered by Fastify directly, outside the controllers' declared surfaces.
    // The route the router matched, not the URL as written: /%64ocs is /docs to the router.
    const declared = request.routeOptions.url?.startsWith('/docs') ? Surface.Admin : declaredSurfaceOf(request);
    // A route asked for on the other listener does not exist there: 404, before any key is
    // checked or any body read.
    if (declared !== undefined && declared !== Surface.Both && declared !== surface) {
      return refuse(request, reply, done, new GatewayError(GatewayErrorCode.NotFound, `Cannot ${request.method} ${pathOf(request.url)}`));
    }
    // No such route: its 404 needs nothing from the body, so none is read, whatever its size.
    if (request.is404 && hasBody(request)) {
      leaveBodyUnread(request, reply);
      return done();
    }
    // Proxy routes authenticate before the body is read: a caller without a valid key gets its
    // 401 without the gateway parsing (or answering about) a body of up to MAX_BODY_BYTES.
    if (declared === Surface.Proxy) {
      try {
        request.gatewayKey = keys.authenticate(request.headers);
      } catch (error) {
        return refuse(request, reply, done, error as Error);
      }
    }
    if (declared === Surface.Admin && hasBody(request) && needsAdminKey(request.routeOptions.config)) {
      // The admin key is decided by the route's guards, after the throttler has counted the
      // attempt; a caller without it only must not get its body read and parsed. So the body
      // is left unread (and the connection closed after the answer), and the guards answer 401.
      if (!adminKeys.verify(request.headers['x-api-key'])) {
        leaveBodyUnread(request, reply);
      } else if (BODYLESS_METHODS.has(request.method) && !takesJsonBodyOnGet(request.routeOptions.config)) {
        // Fastify never reads a GET body: filters sent in one were dropped, and the answer was
        // everything (every key, every event) with a 200.
        return refuse(request, reply, done, new GatewayError(GatewayErrorCode.InvalidRequest, `${request.method} ${pathOf(request.url)} reads no body: send its fields as query parameters`));
      } else if (!BODYLESS_METHODS.has(request.method) && !isJson(request.headers['content-type'])) {
        return refuse(request, reply, done, new GatewayError(GatewayErrorCode.UnsupportedMediaType, 'unsupported Content-Type: send application/json'));
      }
    }
    // Bodies are read as sent: a compressed one was refused as malformed JSON, naming the wrong
    // cause. (After the key checks: a body left unread has no length any more.)
    if (hasBody(request) && !isIdentityCoding(request.headers['content-encoding'])) {
      return refuse(request, reply, done, new GatewayError(GatewayErrorCode.UnsupportedMediaType, 'unsupported Content-Encoding: send the body uncompressed'));
    }
    // Last: a body refused or left unread above is not held. (Admin bodies are 1 MiB at most,
    // and read for the admin key only.)
    if (declared === Surface.Proxy && hasBody(request) && !bodies.admit(request.raw, reply.raw)) {
      bodiesFull.note((occurrences) =>
        logger.warn({ heldBytes: bodies.heldBytes, maxBytes: bodies.maxBytes, occurrences }, 'request bodies at MAX_BODY_BYTES_IN_FLIGHT; refusing requests with 503'),
      );
      return refuse(request, reply, done, busyError());
    }
    done();
  });
  // A chunked body, whose size is known only once read, is held chunk by chunk (see BodyBudget).
  instance.addHook('preParsing', (request, _reply, payload, done) => done(null, bodies.counted(request.raw, payload)));
  const access = accessLogger(logger);
  instance.addHook('onResponse', (request, reply, done) => {
    // Marked requests are logged and counted by the proxy pipeline.
    if (request.accessLogged) return done();
    metrics.observeHttp(httpCompletion(request, reply.statusCode, reply.elapsedTime));
    access.info(
      {
        reqId: request.id,
        method: request.method,
        path: request.routeOptions.url ?? pathOf(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        // A proxied request's provider and failure: a 502 says which provider, and why.
        provider: request.proxyOutcome?.provider,
        error: request.proxyOutcome?.errorCode ?? undefined,
      },
      'request completed',
    );
    done();
  });
  instance.setErrorHandler((error, request, reply) => {
    sendError(request, reply, error, logger);
    // A key's request refused before the proxy pipeline saw it (its body is not JSON, too large,
    // in another charset or coding) is still one of the key's requests: it gets its event.
    if (request.gatewayKey && request.proxyOutcome === undefined && surfaceOf(request.raw) === Surface.Proxy) recordRefusal(request, reply, toGatewayError(error));
  });
}

/** Ends a request in its onRequest hook with an error reply. */
function refuse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, error: Error): void {
  // Else Node would read and discard the whole unwanted body to keep the connection.
  if (hasBody(request)) void reply.header('connection', 'close');
  done(error);
}

/** Makes Fastify see a request without a body: it reads and parses nothing. */
function leaveBodyUnread(request: FastifyRequest, reply: FastifyReply): void {
  const headers = request.raw.headers;
  delete headers['content-type'];
  delete headers['transfer-encoding'];
  headers['content-length'] = '0';
  void reply.header('connection', 'close');
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trimStart());
}

/** A charset parameter, if any, that names UTF-8 (or its subset, ASCII). */
function isUtf8Charset(contentType: string | undefined): boolean {
  const charset = contentType === undefined ? undefined : /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1];
  return charset === undefined || /^(utf-?8|us-ascii)$/i.test(charset);
}

function isIdentityCoding(contentEncoding: string | undefined): boolean {
  return contentEncoding === undefined || /^\s*(identity)?\s*$/i.test(contentEncoding);
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
