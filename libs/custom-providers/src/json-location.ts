/**
 * JSON locations as BricksLLM writes them: GJSON paths (https://github.com/tidwall/gjson), the
 * subset that names fields. `model`, `messages.0.content` (array index), `messages.#.content`
 * (that field of every element), `choices.#` (an array's length), `a\.b` (a key containing a
 * dot). Queries (`#(...)`), wildcards (`*`, `?`), modifiers (`@...`) and pipes (`|`) are not
 * supported and are refused when a location is saved, rather than silently matching nothing.
 */

export type LocationSegment = { kind: 'key'; key: string } | { kind: 'each' };

export interface JsonLocation {
  readonly source: string;
  readonly segments: readonly LocationSegment[];
}

export class LocationSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocationSyntaxError';
  }
}

const MAX_LOCATION_LENGTH = 512;
const MAX_SEGMENTS = 32;

export function parseLocation(source: string): JsonLocation {
  if (source.length === 0) throw new LocationSyntaxError('a location must not be empty');
  if (source.length > MAX_LOCATION_LENGTH) throw new LocationSyntaxError(`a location must be at most ${MAX_LOCATION_LENGTH} characters`);
  const segments: LocationSegment[] = [];
  let key = '';
  let escapedAny = false;
  const close = () => {
    if (key === '' && !escapedAny) throw new LocationSyntaxError(`"${source}" has an empty segment (leading, trailing or doubled dot)`);
    if (!escapedAny && key === '#') segments.push({ kind: 'each' });
    else segments.push({ kind: 'key', key });
    key = '';
    escapedAny = false;
  };
  for (let index = 0; index < source.length; index += 1) {
    const char = source[index];
    if (char === '\\') {
      index += 1;
      if (index >= source.length) throw new LocationSyntaxError(`"${source}" ends with a lone backslash`);
      key += source[index];
      escapedAny = true;
      continue;
    }
    if (char === '.') {
      close();
      continue;
    }
    if (char === '*' || char === '?' || char === '|') {
      throw new LocationSyntaxError(`"${source}" uses "${char}", a GJSON wildcard or pipe, which is not supported (escape it as \\${char} for a literal key)`);
    }
    if (key === '' && !escapedAny && char === '@') {
      throw new LocationSyntaxError(`"${source}" uses a GJSON modifier (@...), which is not supported`);
    }
    if (key === '#' && !escapedAny && char === '(') {
      throw new LocationSyntaxError(`"${source}" uses a GJSON query (#(...)), which is not supported`);
    }
    key += char;
  }
  close();
  if (segments.length > MAX_SEGMENTS) throw new LocationSyntaxError(`"${source}" has more than ${MAX_SEGMENTS} segments`);
  return { source, segments };
}

/**
 * The value at a location, or undefined when the document has nothing there. `#` maps the rest
 * of the path over an array (elements without the field are left out, as in GJSON) and, as the
 * last segment, is the array's length.
 */
export function valueAt(document: unknown, location: JsonLocation): unknown {
  return evaluate(document, location.segments, 0);
}

function evaluate(value: unknown, segments: readonly LocationSegment[], index: number): unknown {
  if (index === segments.length) return value;
  const segment = segments[index];
  if (segment.kind === 'each') {
    if (!Array.isArray(value)) return undefined;
    if (index === segments.length - 1) return value.length;
    const results: unknown[] = [];
    for (const element of value) {
      const result = evaluate(element, segments, index + 1);
      if (result !== undefined) results.push(result);
    }
    return results;
  }
  if (Array.isArray(value)) {
    return /^(0|[1-9][0-9]*)$/.test(segment.key) ? evaluate(value[Number(segment.key)], segments, index + 1) : undefined;
  }
  if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, segment.key)) {
    return evaluate((value as Record<string, unknown>)[segment.key], segments, index + 1);
  }
  return undefined;
}

/**
 * The text at a location, for token counting: a string as it is, the strings of an array (nested
 * arrays flattened) joined by `separator`; anything else contributes nothing.
 */
export function textAt(document: unknown, location: JsonLocation, separator = ''): string {
  return stringsOf(valueAt(document, location)).join(separator);
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  return [];
}

/** A string at a location (e.g. the model), or null. */
export function stringAt(document: unknown, location: JsonLocation): string | null {
  const value = valueAt(document, location);
  return typeof value === 'string' ? value : null;
}

/** A boolean at a location (e.g. the stream flag), or null. */
export function booleanAt(document: unknown, location: JsonLocation): boolean | null {
  const value = valueAt(document, location);
  return typeof value === 'boolean' ? value : null;
}
