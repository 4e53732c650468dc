import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { ApiKeyHasher, REMEMBERED_KEY_HASHES, legacyKeyHash } from './key-hash';

describe('ApiKeyHasher', () => {
  const encryptionKey = randomBytes(32);

  it('is HMAC-SHA256 under the HKDF-SHA256 derivation of ENCRYPTION_KEY (no salt, its own label): the stored format', () => {
    const secret = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'tollgate api-key-hash hmac-sha256 v1', 32));
    for (const plaintext of ['tg-key-1', 'a'.repeat(512), '~!@#$%^&*()']) {
      expect(new ApiKeyHasher(encryptionKey).hash(plaintext)).toBe(createHmac('sha256', secret).update(plaintext).digest('hex'));
    }
  });

  it('never keys the HMAC with ENCRYPTION_KEY itself (the credential cipher\'s key), and depends on it', () => {
    const hasher = new ApiKeyHasher(encryptionKey);
    expect(hasher.hash('tg-key-1')).not.toBe(createHmac('sha256', encryptionKey).update('tg-key-1').digest('hex'));
    expect(hasher.hash('tg-key-1')).not.toBe(new ApiKeyHasher(randomBytes(32)).hash('tg-key-1'));
    expect(hasher.hash('tg-key-1')).not.toBe(legacyKeyHash('tg-key-1'));
  });

  it('remembers the HMACs of recent keys within a bound, and gives the same hash before and after it empties', () => {
    const hasher = new ApiKeyHasher(encryptionKey);
    const secret = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'tollgate api-key-hash hmac-sha256 v1', 32));
    const expected = (plaintext: string) => createHmac('sha256', secret).update(plaintext).digest('hex');
    expect(hasher.hash('tg-first')).toBe(expected('tg-first'));
    expect(hasher.hash('tg-first')).toBe(expected('tg-first'));
    expect(hasher.rememberedCount).toBe(1);
    for (let i = 0; i < REMEMBERED_KEY_HASHES + 5; i++) hasher.hash(`tg-spray-${i}`);
    expect(hasher.rememberedCount).toBeLessThanOrEqual(REMEMBERED_KEY_HASHES);
    expect(hasher.hash('tg-first')).toBe(expected('tg-first'));
    expect(hasher.hash(`tg-spray-${REMEMBERED_KEY_HASHES + 4}`)).toBe(expected(`tg-spray-${REMEMBERED_KEY_HASHES + 4}`));
  });

  it('the legacy hash is the plain SHA-256 that earlier versions stored', () => {
    expect(legacyKeyHash('tg-key-1')).toBe(createHash('sha256').update('tg-key-1').digest('hex'));
  });
});
