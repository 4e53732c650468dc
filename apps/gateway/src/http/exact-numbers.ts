import { GatewayError, GatewayErrorCode } from '@tollgate/common';

type RawJson = (text: string) => unknown;
/** JSON.rawJSON (Node 22; absent on Node 20, where such numbers are read as JSON.parse reads them). */
const rawJson = (JSON as unknown as { rawJSON?: RawJson }).rawJSON;

/** A run of 16 digits or a three-digit exponent: what every integer past 2^53 or number past 1e308 has. */
const MAY_HOLD_INEXACT_NUMBER = /\d{16}|[eE][+]?\d{3}/;
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * Parses a JSON body so that numbers JSON.parse cannot hold pass through untouched: an integer
 * past 2^53 (OpenAI's `seed` is an int64; 9007199254740993 became ...992 upstream) or a number
 * past the double range (1e400 became null). Those are kept as their source text
 * (JSON.rawJSON), which JSON.stringify writes back as it was. Returns undefined when the text
 * has no such number (nearly every body), for the plain, faster parse. Refuses `__proto__` and
 * `constructor.prototype` keys, as Fastify's own parser does.
 */
export function parseWithExactNumbers(text: string): { value: unknown } | undefined {
  if (rawJson === undefined || !MAY_HOLD_INEXACT_NUMBER.test(text)) return undefined;
  try {
    return { value: JSON.parse(text, reviveExactly) };
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw new GatewayError(GatewayErrorCode.InvalidJson, `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

function reviveExactly(this: unknown, key: string, value: unknown, context?: { source?: string }): unknown {
  if (key === '__proto__' || (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)) {
    throw new GatewayError(GatewayErrorCode.InvalidJson, 'the request body is not valid JSON: it holds a forbidden prototype property');
  }
  if (typeof value !== 'number' || context?.source === undefined) return value;
  const inexact = !Number.isFinite(value) || (!Number.isSafeInteger(value) && INTEGER_LITERAL.test(context.source));
  return inexact ? rawJson!(context.source) : value;
}
