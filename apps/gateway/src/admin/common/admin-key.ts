import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks an `X-API-KEY` value against ADMIN_API_KEY. Both sides are hashed to equal length and
 * compared in constant time, so response timing reveals nothing about the key.
 */
export class AdminKeyVerifier {
  private readonly expected: Buffer;

  constructor(adminApiKey: string) {
    this.expected = digest(adminApiKey);
  }

  verify(presented: unknown): boolean {
    return typeof presented === 'string' && timingSafeEqual(digest(presented), this.expected);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
