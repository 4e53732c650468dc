/** Seconds per unit letter, shared by TTLs, rate-limit windows and budget periods. */
export const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/**
 * A TTL: amounts with a unit each, as Go's durations write them ("1h30m", "1.5h"), plus days.
 * The admin DTOs and the parser below share it.
 */
export const TTL_PATTERN = /^(?:\d+(?:\.\d+)?[smhd])+$/;
const NANOS_PER_SECOND = 1_000_000_000n;

export const TTL_MESSAGE = 'ttl must look like "30s", "15m", "1.5h", "24h", "2d" or "1h30m"';

/**
 * Parses a TTL such as "30s", "15m", "1.5h", "24h" or "2d" (also compound, "1h30m") into whole
 * seconds (a fraction of a second is dropped). Returns null when the text is not a duration or
 * is shorter than a second.
 */
export function parseDurationSeconds(text: string): number | null {
  const trimmed = text.trim();
  if (!TTL_PATTERN.test(trimmed)) return null;
  // In integer nanoseconds, as Go sums a duration's parts: 2.01h is 7236 s (2.01 * 3600 is
  // 7235.99... in floating point), and 0.5s0.5s is 1 s. Rounded down once, at the end.
  let nanoseconds = 0n;
  for (const [, whole, fraction = '', unit] of trimmed.matchAll(/(\d+)(?:\.(\d+))?([smhd])/g)) {
    const digits = fraction.slice(0, 9).padEnd(9, '0');
    nanoseconds += (BigInt(whole) * NANOS_PER_SECOND + BigInt(digits)) * BigInt(UNIT_SECONDS[unit]);
  }
  const seconds = Number(nanoseconds / NANOS_PER_SECOND);
  return seconds > 0 ? seconds : null;
}

export function toUnixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
