/**
 * JSON nested deeper than this is refused (400). OpenAI's own schemas nest a few dozen levels at
 * most; the limit only has to stop bodies that recursive code (JSON.stringify when the proxy
 * rewrites a body or records its event, Nest's validation) cannot walk without overflowing the
 * stack: about 10 kB of `[` did, as a 500 and an unrecorded event.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Whether JSON text opens more than `limit` arrays or objects inside each other. Text shorter
 * than twice the limit cannot, so is not read. The scan jumps from one structural character to
 * the next (a native regex search) and over each string whole (indexOf): a character-by-character
 * loop cost 6 ms on a 1 MB prompt, four times JSON.parse itself.
 */
export function jsonNestedDeeperThan(text: string, limit: number): boolean {
  if (text.length <= 2 * limit) return false;
  const structure = /["[\]{}]/g;
  let depth = 0;
  let found: RegExpExecArray | null;
  while ((found = structure.exec(text)) !== null) {
    const code = text.charCodeAt(found.index);
    if (code === QUOTE) {
      const end = closingQuote(text, found.index);
      // An unterminated string: malformed, which JSON.parse reports.
      if (end === -1) return false;
      structure.lastIndex = end + 1;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else {
      depth--;
    }
  }
  return false;
}

/** The quote that ends the string opened at `open` (one not escaped by a backslash), or -1. */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  while (end !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return -1;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
