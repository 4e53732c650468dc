/** Seconds per unit letter, shared by TTLs, rate-limit windows and budget periods. */
export const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/**
 * A TTL: amounts with a unit each, as Go's durations write them ("1h30m", "1.5h"), plus days.
 * The admin DTOs and the parser below share it.
 */
export const TTL_PATTERN = /^(?:\d+(?:\.\d+)?[smhd])+$/;
export const TTL_MESSAGE = 'ttl must look like "30s", "15m", "1.5h", "24h", "2d" or "1h30m"';

/**
 * Parses a TTL such as "30s", "15m", "1.5h", "24h" or "2d" (also compound, "1h30m") into whole
 * seconds (a fraction of a second is dropped). Returns null when the text is not a duration or
 * is shorter than a second.
 */
export function parseDurationSeconds(text: string): number | null {
  const trimmed = text.trim();
  if (!TTL_PATTERN.test(trimmed)) return null;
  let total = 0;
  for (const [, whole, fraction = '', unit] of trimmed.matchAll(/(\d+)(?:\.(\d+))?([smhd])/g)) {
    // In integers, as Go does: 2.01h is 7236 s, where 2.01 * 3600 in floating point is 7235.99...
    const scale = 10 ** fraction.length;
    total += Math.floor(((Number(whole) * scale + Number(fraction || 0)) * UNIT_SECONDS[unit]) / scale);
  }
  return total > 0 ? total : null;
}

export function toUnixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
