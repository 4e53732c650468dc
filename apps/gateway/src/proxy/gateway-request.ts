import { KeyRecord } from '@tollgate/config-cache';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by KeyAuthGuard: the caller's key, from the in-memory snapshot. */
    gatewayKey?: KeyRecord;
  }
}

export {};
