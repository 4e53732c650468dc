import fastifyCors, { FastifyCorsOptions, FastifyCorsOptionsDelegateCallback } from '@fastify/cors';
import { FastifyInstance } from 'fastify';
import { Surface, surfaceOf } from './surface';

/**
 * CORS on the proxy, as OpenAI's API answers it: browser apps (the openai SDK with
 * dangerouslyAllowBrowser, the Vercel AI SDK in a page) call it with a key in a header, which a
 * preflight must allow first. Without it a browser could not use the gateway at all: its
 * preflight, sent without the key, got a 401.
 *
 * Registered after the request-id hook and before the key checks (Fastify runs hooks in the order
 * they are added, see configureFastify), so a preflight is answered before any key is asked for. Requests without an Origin header
 * (every server-side client) and the admin API get no CORS headers: Swagger UI is same-origin, and
 * the admin API is meant to stay private.
 */
export function registerProxyCors(instance: FastifyInstance, origins: '*' | string[]): void {
  if (origins !== '*' && origins.length === 0) return;
  const proxy: FastifyCorsOptions = {
    origin: origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // What the SDKs read from an answer: the request id, and when and whether to retry. (No
    // allowedHeaders: the headers a preflight asks for, such as authorization, content-type, the
    // SDKs' x-stainless-* and openai-beta, are allowed as asked.)
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    // Any OPTIONS from a browser is answered as a preflight, not refused as a malformed one.
    strictPreflight: false,
  };
  const delegator: FastifyCorsOptionsDelegateCallback = (request, callback) =>
    callback(null, request.headers.origin !== undefined && surfaceOf(request.raw) === Surface.Proxy ? proxy : NO_CORS);
  void instance.register(fastifyCors, { hook: 'onRequest', delegator });
}

const NO_CORS: FastifyCorsOptions = { origin: false };

const EXPOSED_HEADERS = [
  'x-request-id',
  // The provider's own request id, for its support: Anthropic's (its SDK's requestID), OpenAI's.
  'request-id',
  'x-upstream-request-id',
  'retry-after',
  'retry-after-ms',
  'x-should-retry',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
];

const PREFLIGHT_MAX_AGE_SECONDS = 600;
