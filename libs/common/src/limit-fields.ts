import { TTL_MESSAGE, parseDurationSeconds } from './duration';
import { GatewayError, GatewayErrorCode } from './gateway-error';

/** The limit fields keys and users share, as admins write them: absent keeps, null removes. */
export interface LimitFieldsInput {
  costLimitInUsd?: number | null;
  costLimitInUsdOverTime?: number | null;
  costLimitInUsdUnit?: string | null;
  rateLimitOverTime?: number | null;
  rateLimitUnit?: string | null;
  ttl?: string | null;
  allowedPaths?: Array<{ path: string; method: string }>;
  tags?: string[];
}

/** The same fields as stored on a key or user entity. */
export interface LimitFields {
  costLimitInUsd: number | null;
  costLimitInUsdOverTime: number | null;
  costLimitInUsdUnit: string | null;
  rateLimitOverTime: number | null;
  rateLimitUnit: string | null;
  ttl: string | null;
  expiresAt: Date | null;
  allowedPaths: Array<{ path: string; method: string }>;
  tags: string[];
}

/** Beyond this a ttl is a typo (and far enough out, not a date Postgres or JavaScript can hold). */
const MAX_TTL_SECONDS = 100 * 365 * 86_400;

/**
 * Applies the given limit fields to a key or user and checks the pairs that only make sense
 * together. A ttl counts from `now`, the moment it is set.
 */
export function applyLimitFields(target: LimitFields, input: LimitFieldsInput, now: Date): void {
  if (input.tags !== undefined) target.tags = input.tags;
  if (input.costLimitInUsd !== undefined) target.costLimitInUsd = input.costLimitInUsd;
  if (input.costLimitInUsdOverTime !== undefined) target.costLimitInUsdOverTime = input.costLimitInUsdOverTime;
  if (input.costLimitInUsdUnit !== undefined) target.costLimitInUsdUnit = input.costLimitInUsdUnit;
  if (input.rateLimitOverTime !== undefined) target.rateLimitOverTime = input.rateLimitOverTime;
  if (input.rateLimitUnit !== undefined) target.rateLimitUnit = input.rateLimitUnit;
  if (input.allowedPaths !== undefined) target.allowedPaths = input.allowedPaths;
  if (input.ttl === null) {
    target.ttl = null;
    target.expiresAt = null;
  } else if (input.ttl !== undefined) {
    const seconds = parseDurationSeconds(input.ttl);
    if (seconds === null) throw new GatewayError(GatewayErrorCode.InvalidRequest, TTL_MESSAGE, 'ttl');
    if (seconds > MAX_TTL_SECONDS) throw new GatewayError(GatewayErrorCode.InvalidRequest, 'ttl must be at most 100 years', 'ttl');
    target.ttl = input.ttl;
    target.expiresAt = new Date(now.getTime() + seconds * 1000);
  }
  requireTogether(target.costLimitInUsdOverTime, target.costLimitInUsdUnit, 'costLimitInUsdOverTime and costLimitInUsdUnit go together', 'costLimitInUsdOverTime');
  requireTogether(target.rateLimitOverTime, target.rateLimitUnit, 'rateLimitOverTime and rateLimitUnit go together', 'rateLimitOverTime');
}

function requireTogether(a: unknown, b: unknown, message: string, param: string): void {
  const isSet = (value: unknown) => value !== null && value !== undefined;
  if (isSet(a) !== isSet(b)) throw new GatewayError(GatewayErrorCode.InvalidRequest, message, param);
}
