import { Injectable } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ConfigSnapshotService, KeyRecord } from '@tollgate/config-cache';
import { ApiKeyHasher, KeyHashUpgrader, legacyKeyHash } from '@tollgate/keys';
import { FastifyRequest } from 'fastify';

/**
 * Finds the gateway key a proxy request presents: hash, then a lookup in the in-memory snapshot
 * (no database query). Unknown, revoked and expired keys are all 401.
 */
@Injectable()
export class KeyAuthenticator {
  constructor(
    private readonly snapshot: ConfigSnapshotService,
    private readonly hasher: ApiKeyHasher,
    private readonly upgrader: KeyHashUpgrader,
  ) {}

  authenticate(headers: FastifyRequest['headers']): KeyRecord {
    const presented = extractKey(headers);
    if (!presented) {
      throw new GatewayError(
        GatewayErrorCode.InvalidApiKey,
        'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>" (or in an x-api-key or api-key header).',
      );
    }
    const keyHash = this.hasher.hash(presented);
    return this.usable(this.snapshot.getKeyByHash(keyHash) ?? this.findLegacy(presented, keyHash));
  }

  /**
   * The key's record as the snapshot has it now (by id: its hash may have been upgraded since):
   * revoked or expired meanwhile, it is refused.
   */
  current(keyId: string): KeyRecord {
    return this.usable(this.snapshot.getKeyById(keyId));
  }

  /**
   * A key still stored as the SHA-256 of its plaintext (from before the HMAC scheme), and only
   * such a key. Found, it is rewritten to `keyHash` in the background, but only by a replica that
   * decrypts one of the key's provider settings: one started with another ENCRYPTION_KEY would
   * write a hash that no other replica recognises, and the key would stop working there.
   */
  private findLegacy(presented: string, keyHash: string): KeyRecord | null {
    if (!this.snapshot.hasLegacyKeys()) return null;
    const key = this.snapshot.getLegacyKeyByHash(legacyKeyHash(presented));
    if (key && key.settingIds.some((id) => this.snapshot.getSetting(id) !== null)) this.upgrader.upgrade(key.keyId, key.keyHash, keyHash);
    return key;
  }

  private usable(key: KeyRecord | null): KeyRecord {
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
