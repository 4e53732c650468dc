/** Percent-decodes a path piece; a malformed escape is left as written (later checks refuse it). */
export function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
