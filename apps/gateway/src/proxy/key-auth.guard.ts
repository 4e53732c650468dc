import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ConfigSnapshotService } from '@tollgate/config-cache';
import { hashApiKey } from '@tollgate/keys';
import { FastifyRequest } from 'fastify';
import './gateway-request';

/**
 * Authenticates a proxy request by its gateway key: hash, then a lookup in the in-memory
 * snapshot (no database query). Unknown, revoked and expired keys are all 401.
 */
@Injectable()
export class KeyAuthGuard implements CanActivate {
  constructor(private readonly snapshot: ConfigSnapshotService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = extractKey(request.headers);
    if (!presented) {
      throw new GatewayError(
        GatewayErrorCode.InvalidApiKey,
        'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>" (or in an x-api-key or api-key header).',
      );
    }
    const key = this.snapshot.getKeyByHash(hashApiKey(presented));
    if (!key) throw new GatewayError(GatewayErrorCode.InvalidApiKey, 'Incorrect API key provided.');
    if (key.revoked) {
      throw new GatewayError(GatewayErrorCode.InvalidApiKey, `This API key has been revoked${key.revokedReason ? `: ${key.revokedReason}` : '.'}`);
    }
    if (key.expiresAt !== null && key.expiresAt <= Date.now()) {
      throw new GatewayError(GatewayErrorCode.InvalidApiKey, 'This API key has expired (its ttl has passed).');
    }
    request.gatewayKey = key;
    return true;
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
