/** Seconds per unit letter, shared by TTLs, rate-limit windows and budget periods. */
export const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/**
 * Parses a TTL such as "30s", "15m", "24h" or "2d" (also compound, "1h30m") into seconds.
 * Returns null when the text is not a duration.
 */
export function parseDurationSeconds(text: string): number | null {
  const match = /^(?:\d+[smhd])+$/.exec(text.trim());
  if (!match) return null;
  let total = 0;
  for (const [, amount, unit] of text.trim().matchAll(/(\d+)([smhd])/g)) {
    total += Number(amount) * UNIT_SECONDS[unit];
  }
  return total > 0 ? total : null;
}

export function toUnixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
