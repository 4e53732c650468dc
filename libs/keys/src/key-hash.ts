import { KeyObject, createHmac, createSecretKey, hash, hkdfSync } from 'node:crypto';

/** How a key's stored hash was computed (api_keys.key_hash_scheme). */
export enum KeyHashScheme {
  /** Before 1765200000000-key-hash-scheme: unsalted SHA-256. Found only to be upgraded. */
  Sha256 = 'sha256',
  HmacSha256 = 'hmac-sha256',
}

/**
 * HKDF's info label for the hashing secret. Changing it orphans every stored hash: it is part of
 * the stored format. Distinct from any other use of ENCRYPTION_KEY, so no two uses share key
 * material (the credential cipher uses the key itself, never this derivation).
 */
const KEY_HASH_HKDF_INFO = 'tollgate api-key-hash hmac-sha256 v1';

/**
 * Hashes gateway keys for storage and lookup. Admins choose keys as short as 8 printable
 * characters, so an unsalted SHA-256 of them is no protection: anyone with a copy of the database
 * (a backup, a replica, a dump) brute-forces such keys offline at GPU speed. An HMAC-SHA256 under
 * a secret derived from ENCRYPTION_KEY (which the database does not hold) makes the stored hashes
 * useless without that secret, and stays one cheap, unsalted computation per request, so the
 * proxy still finds a key in a map (a slow, salted password hash could not be looked up that way,
 * and would cost milliseconds on every request).
 *
 * Node has no one-shot HMAC (crypto.hash is digests only): the derived key is imported once as a
 * KeyObject, which createHmac takes without re-importing it on every call.
 */
export class ApiKeyHasher {
  private readonly secret: KeyObject;
  /**
   * The HMACs of keys presented lately, by the SHA-256 of the key (never the key itself): a few
   * clients send the same keys on every request, and an HMAC object costs several times a
   * one-shot digest on the proxy's hot path (the benchmark measured about 20 µs a request). The
   * SHA-256s kept here are what the database held before the HMAC scheme, in the memory of a
   * process that also holds the decrypted provider credentials. Bounded: emptied when full, so a
   * client spraying random keys only costs the HMACs it makes us compute.
   */
  private remembered = new Map<string, string>();

  constructor(encryptionKey: Buffer) {
    this.secret = createSecretKey(Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), KEY_HASH_HKDF_INFO, 32)));
  }

  hash(plaintext: string): string {
    const digest = hash('sha256', plaintext, 'base64');
    let keyHash = this.remembered.get(digest);
    if (keyHash === undefined) {
      keyHash = createHmac('sha256', this.secret).update(plaintext, 'utf8').digest('hex');
      if (this.remembered.size >= REMEMBERED_KEY_HASHES) this.remembered = new Map();
      this.remembered.set(digest, keyHash);
    }
    return keyHash;
  }

  /** How many HMACs are remembered (for tests of the bound). */
  get rememberedCount(): number {
    return this.remembered.size;
  }
}

/** More distinct keys than any deployment presents within a while. */
export const REMEMBERED_KEY_HASHES = 10_000;

/** A key's hash as stored before the HMAC scheme: only to find those keys, never to store one. */
export function legacyKeyHash(plaintext: string): string {
  return hash('sha256', plaintext, 'hex');
}
