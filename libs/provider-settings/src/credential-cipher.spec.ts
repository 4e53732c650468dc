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

  it('rejects a cut tag, which Node would check on its first 4 bytes only, and an IV of another length', () => {
    const parts = cipher.encrypt('sk-secret-value').split('.');
    const cut = [parts[0], parts[1], Buffer.from(parts[2], 'base64url').subarray(0, 4).toString('base64url'), parts[3]];
    expect(() => cipher.decrypt(cut.join('.'))).toThrow(/Unrecognised credential envelope/);
    const longIv = [parts[0], Buffer.alloc(16).toString('base64url'), parts[2], parts[3]];
    expect(() => cipher.decrypt(longIv.join('.'))).toThrow(/Unrecognised credential envelope/);
  });
});
