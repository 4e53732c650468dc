import { Injectable } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ConfigSnapshotService, KeyRecord } from '@tollgate/config-cache';
import { hashApiKey } from '@tollgate/keys';
import { FastifyRequest } from 'fastify';

/**
 * Finds the gateway key a proxy request presents: hash, then a lookup in the in-memory snapshot
 * (no database query). Unknown, revoked and expired keys are all 401.
 */
@Injectable()
export class KeyAuthenticator {
  constructor(private readonly snapshot: ConfigSnapshotService) {}

  authenticate(headers: FastifyRequest['headers']): KeyRecord {
    const presented = extractKey(headers);
    if (!presented) {
      throw new GatewayError(
        GatewayErrorCode.InvalidApiKey,
        'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>" (or in an x-api-key or api-key header).',
      );
    }
    return this.current(hashApiKey(presented));
  }

  /** The key's record as the snapshot has it now: revoked or expired meanwhile, it is refused. */
  current(keyHash: string): KeyRecord {
    const key = this.snapshot.getKeyByHash(keyHash);
    if (!key) throw new GatewayError(GatewayErrorCode.InvalidApiKey, 'Incorrect API key provided.');
    if (key.revoked) {
      throw new GatewayError(GatewayErrorCode.InvalidApiKey, `This API key has been revoked${key.revokedReason ? `: ${key.revokedReason}` : '.'}`);
    }
    if (key.expiresAt !== null && key.expiresAt <= Date.now()) {
      throw new GatewayError(GatewayErrorCode.InvalidApiKey, 'This API key has expired (its ttl has passed).');
    }
    return key;
  }
}

export function extractKey(headers: FastifyRequest['headers']): string | null {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1].trim();
  }
  for (const name of ['x-api-key', 'api-key'] as const) {
    const value = headers[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return null;
}
