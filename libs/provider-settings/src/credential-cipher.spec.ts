import { randomBytes } from 'node:crypto';
import { CredentialCipher } from './credential-cipher';

describe('CredentialCipher', () => {
  const cipher = new CredentialCipher(randomBytes(32));

  it('round-trips and never embeds the plaintext', () => {
    const envelope = cipher.encrypt('sk-secret-value');
    expect(envelope).not.toContain('sk-secret-value');
    expect(cipher.decrypt(envelope)).toBe('sk-secret-value');
  });

  it('uses a fresh IV per message', () => {
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same'));
  });

  it('rejects a tampered envelope and a wrong key', () => {
    const envelope = cipher.encrypt('sk-secret-value');
    const parts = envelope.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[0] ^= 1;
    parts[3] = body.toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'))).toThrow();
    expect(() => new CredentialCipher(randomBytes(32)).decrypt(envelope)).toThrow();
  });
});
