import { KeyRecord } from '@tollgate/config-cache';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's key, from the in-memory snapshot: set by the onRequest hook or KeyAuthGuard. */
    gatewayKey?: KeyRecord;
    /**
     * The proxy wrote this request's access-log line itself (a relayed stream, or a client that
     * left before its response was finished, when Fastify's onResponse never runs).
     */
    accessLogged?: boolean;
    /** Where the proxy sent the request, and what failed: for Fastify's access line (onResponse). */
    proxyOutcome?: { provider: string; errorCode: string | null };
  }
}

export {};
