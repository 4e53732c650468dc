import { KeyRecord } from '@tollgate/config-cache';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by KeyAuthGuard: the caller's key, from the in-memory snapshot. */
    gatewayKey?: KeyRecord;
    /**
     * The proxy wrote this request's access-log line itself (a relayed stream, or a client that
     * left before its response was finished, when Fastify's onResponse never runs).
     */
    accessLogged?: boolean;
  }
}

export {};
