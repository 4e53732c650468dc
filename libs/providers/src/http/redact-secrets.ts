/** Credentials shorter than this are not looked for: they would mangle ordinary words in a message. */
const MIN_SECRET_CHARS = 8;
const REDACTED = '[redacted]';

/**
 * An upstream error body with every occurrence of the given secrets replaced, as written and as
 * escaped inside a JSON string. Some servers quote the credential they refused or echo request
 * headers in their errors; relayed as is, that would hand the provider credential to the client.
 * Returns the same buffer when no secret occurs (the common case: one search per secret).
 */
export function redactSecrets(body: Buffer, secrets: readonly string[]): Buffer {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_CHARS) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  const present = [...forms].filter((form) => body.includes(form));
  if (present.length === 0) return body;
  let text = body.toString('utf8');
  // Longest first, so a secret that contains another is replaced whole.
  for (const form of present.sort((a, b) => b.length - a.length)) text = text.split(form).join(REDACTED);
  return Buffer.from(text, 'utf8');
}
