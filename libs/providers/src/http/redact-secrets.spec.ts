import { redactSecrets } from './redact-secrets';

describe('redactSecrets', () => {
  const text = (buffer: Buffer) => buffer.toString('utf8');

  it('replaces every occurrence of a credential, as written and JSON-escaped', () => {
    const secret = 'sk-proj-a"b\\c-1234567890';
    const body = Buffer.from(JSON.stringify({ error: { message: `Incorrect API key provided: ${secret}. You passed ${secret}.` } }));
    const redacted = text(redactSecrets(body, [secret]));
    expect(redacted).not.toContain('1234567890');
    expect(JSON.parse(redacted)).toEqual({ error: { message: 'Incorrect API key provided: [redacted]. You passed [redacted].' } });
  });

  it('replaces a longer secret whole when it contains a shorter one', () => {
    const body = Buffer.from('key=abcdefgh-and-more; id=abcdefgh');
    expect(text(redactSecrets(body, ['abcdefgh', 'abcdefgh-and-more']))).toBe('key=[redacted]; id=[redacted]');
  });

  it('finds a secret echoed with escaped slashes or percent-encoded', () => {
    const secret = 'sk-ab/cd+ef=gh-12345';
    const body = Buffer.from(`{"message":"key ${secret.replace(/\//g, '\\/')} refused","url":"https://x/?key=${encodeURIComponent(secret)}"}`);
    const redacted = text(redactSecrets(body, [secret]));
    expect(redacted).toBe('{"message":"key [redacted] refused","url":"https://x/?key=[redacted]"}');
  });

  it('finds a secret echoed base64-encoded, alone or inside Basic credentials at any offset, and base64url', () => {
    const secret = 'sk-UPSTREAM-SECRET-1234567890abcdef';
    for (const user of ['', 'u', 'us', 'use', 'user:']) {
      const basic = Buffer.from(`${user}${secret}`).toString('base64');
      const body = Buffer.from(JSON.stringify({ error: { message: 'refused', b64: basic, b64url: Buffer.from(`${user}${secret}`).toString('base64url') } }));
      const redacted = text(redactSecrets(body, [secret]));
      expect([user, redacted.includes('[redacted]')]).toEqual([user, true]);
      // What is left decodes to no more than a few characters of the key at each end.
      const left = JSON.parse(redacted).error as { b64: string; b64url: string };
      for (const encoded of [left.b64, left.b64url]) {
        for (const part of encoded.split('[redacted]')) expect(Buffer.from(part, 'base64').toString('latin1')).not.toContain(secret.slice(4, 12));
      }
    }
  });

  it('leaves a body without secrets, and values too short to be credentials, untouched', () => {
    const body = Buffer.from('{"error":{"message":"model not found"}}');
    expect(redactSecrets(body, ['sk-not-in-the-body', 'model'])).toBe(body);
  });
});
