/**
 * What an HTTP header carries unchanged: printable ASCII with no space at either end. Headers
 * are trimmed and read as latin1, so a key or credential with anything else could never be
 * sent (or matched) as written.
 */
export const HEADER_SAFE_TEXT = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** A header's value, the first one if it came several times. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
