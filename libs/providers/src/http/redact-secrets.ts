/** Credentials shorter than this are not looked for: they would mangle ordinary words in a message. */
const MIN_SECRET_CHARS = 8;
const REDACTED = '[redacted]';

/**
 * The ways a credential can appear in what a server sends back: as written, escaped inside a JSON
 * string (with `/` escaped too, as PHP and Java encoders do), percent-encoded (an echoed URL), and
 * base64 or base64url-encoded (an echoed `Authorization: Basic`, a debug dump of the request).
 * Longest first, so a secret that contains another is replaced whole.
 */
export function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_CHARS) continue;
    const json = JSON.stringify(secret).slice(1, -1);
    for (const form of [secret, json, json.replace(/\//g, '\\/'), encodeURIComponent(secret), ...base64Forms(secret)]) forms.add(form);
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * What base64 makes of the secret wherever it sits in the encoded bytes (`user:key` puts it at
 * any offset): for each of the three alignments, the characters that depend on the secret's
 * bytes alone (the groups it shares with bytes around it are left out). Base64url too.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const wholeGroups = Math.floor((offset + bytes.length) / 3);
    const own = encoded.slice(offset === 0 ? 0 : 4, wholeGroups * 4);
    if (own.length < MIN_SECRET_CHARS) continue;
    forms.push(own, own.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
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
