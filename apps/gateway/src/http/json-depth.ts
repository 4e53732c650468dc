/**
 * JSON nested deeper than this is refused (400). OpenAI's own schemas nest a few dozen levels at
 * most; the limit only has to stop bodies that recursive code (JSON.stringify when the proxy
 * rewrites a body or records its event, Nest's validation) cannot walk without overflowing the
 * stack: about 10 kB of `[` did, as a 500 and an unrecorded event.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Whether JSON text opens more than `limit` arrays or objects inside each other. One pass over
 * the characters, strings skipped; text shorter than twice the limit cannot, so is not read.
 */
export function jsonNestedDeeperThan(text: string, limit: number): boolean {
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
