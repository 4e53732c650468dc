import { onRequestHookHandler } from 'fastify';
import { Surface, surfaceOf } from './surface';

/**
 * CORS on the proxy, as OpenAI's API answers it: browser apps (the openai SDK with
 * dangerouslyAllowBrowser, the Vercel AI SDK in a page) call it with a key in a header, which a
 * preflight must allow first. Without it a browser could not use the gateway at all: its
 * preflight, sent without the key, got a 401.
 *
 * An onRequest hook, added after the request-id hook and before the key checks (Fastify runs
 * hooks in the order they are added, see configureFastify), so a preflight is answered before any
 * key is asked for. Requests without an Origin header (every server-side client) and the admin API
 * get no CORS headers: Swagger UI is same-origin, and the admin API is meant to stay private.
 *
 * Written here rather than with @fastify/cors, which did it at first: that plugin resolves and
 * copies its options on every request, Origin or not, adds Vary: Origin to every answer (the
 * admin API's too), and registers a catch-all OPTIONS route, so that an OPTIONS to a path with no
 * route became a matched request whose body was read and parsed, without a key, before its 404.
 * Returns null when PROXY_CORS_ORIGINS is none.
 */
export function proxyCorsHook(origins: '*' | string[]): onRequestHookHandler | null {
  if (origins !== '*' && origins.length === 0) return null;
  const listed = origins === '*' ? null : new Set(origins);
  return (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined || surfaceOf(request.raw) !== Surface.Proxy) return done();
    // A listed origin is echoed back: caches must keep the answers of different origins apart.
    const vary = listed ? ['Origin'] : [];
    if (listed && !listed.has(origin)) {
      void reply.header('vary', vary.join(', '));
      return done();
    }
    void reply.header('access-control-allow-origin', listed ? origin : '*');
    // What the SDKs read from an answer: the request ids, and when and whether to retry.
    void reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method !== 'OPTIONS') {
      if (vary.length > 0) void reply.header('vary', vary.join(', '));
      return done();
    }
    // Any OPTIONS from a page is answered as a preflight. The headers it asks for (authorization,
    // content-type, the SDKs' x-stainless-*, openai-beta, ...) are allowed as asked.
    const requestedHeaders = request.headers['access-control-request-headers'];
    if (requestedHeaders !== undefined) {
      void reply.header('access-control-allow-headers', requestedHeaders);
      vary.push('Access-Control-Request-Headers');
    }
    if (vary.length > 0) void reply.header('vary', vary.join(', '));
    // Safari waits for a body without content-length: 0.
    void reply.code(204).header('access-control-allow-methods', ALLOWED_METHODS).header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS).header('content-length', '0').send();
  };
}

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';

const EXPOSED_HEADERS = [
  'x-request-id',
  // The provider's own request id (Anthropic's request-id, OpenAI's relayed as x-upstream-request-id):
  // the one its support asks for, which the Anthropic SDK reads as requestID.
  'request-id',
  'x-upstream-request-id',
  'retry-after',
  'retry-after-ms',
  'x-should-retry',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
].join(', ');

const PREFLIGHT_MAX_AGE_SECONDS = '600';
