/** Credentials shorter than this are not looked for: they would mangle ordinary words in a message. */
const MIN_SECRET_CHARS = 8;
const REDACTED = '[redacted]';

/**
 * The ways a credential can appear in what a server sends back: as written, escaped inside a JSON
 * string (with `/` escaped too, as PHP and Java encoders do), and percent-encoded (an echoed URL).
 * Longest first, so a secret that contains another is replaced whole.
 */
export function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_CHARS) continue;
    const json = JSON.stringify(secret).slice(1, -1);
    for (const form of [secret, json, json.replace(/\//g, '\\/'), encodeURIComponent(secret)]) forms.add(form);
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Text with every form of the secrets replaced by [redacted]; the same string when none occurs. */
export function redactText(text: string, forms: readonly string[]): string {
  let redacted = text;
  for (const form of forms) if (redacted.includes(form)) redacted = redacted.split(form).join(REDACTED);
  return redacted;
}

/**
 * An upstream error body with every occurrence of the given secrets replaced. Some servers quote
 * the credential they refused or echo request headers in their errors; relayed as is, that would
 * hand the provider credential to the client. Returns the same buffer when no secret occurs (the
 * common case: one search per form).
 */
export function redactSecrets(body: Buffer, secrets: readonly string[]): Buffer {
  const forms = secretForms(secrets).filter((form) => body.includes(form));
  return forms.length === 0 ? body : Buffer.from(redactText(body.toString('utf8'), forms), 'utf8');
}
