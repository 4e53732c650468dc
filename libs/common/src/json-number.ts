type RawJsonTest = (value: unknown) => boolean;
const isRawJson = (JSON as unknown as { isRawJSON?: RawJsonTest }).isRawJSON;

/**
 * A JSON number as a double: a plain number, or one the body parser kept as its source text
 * (JSON.rawJSON, for integers past 2^53 and numbers past the double range, so they reach the
 * provider as written). Checks that read a body's numbers (a budget's max_tokens) must see those
 * too: read as `typeof value === 'number'` only, a max_tokens of 1e20 got around the budget.
 * Past the double range it is Number.MAX_VALUE, never Infinity.
 */
export function jsonNumberValue(value: unknown): number | null {
  if (typeof value === 'number') return Number.isNaN(value) ? null : value;
  if (isRawJson === undefined || !isRawJson(value)) return null;
  const parsed = Number((value as { rawJSON: string }).rawJSON);
  if (Number.isNaN(parsed)) return null;
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, parsed));
}
