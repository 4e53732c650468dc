import { UNIT_SECONDS } from '@tollgate/common';

/** Rate-limit windows: fixed, aligned to the Unix epoch (UTC), measured by Redis's clock. */
export const RATE_WINDOW_SECONDS: Record<string, number> = UNIT_SECONDS;

export type BudgetUnit = 'm' | 'h' | 'd' | 'mo';
export const BUDGET_UNITS: BudgetUnit[] = ['m', 'h', 'd', 'mo'];

/** Start (epoch seconds) and length of the UTC budget period containing `atMs`. */
export function budgetPeriod(unit: BudgetUnit, atMs: number): { start: number; end: number } {
  const at = new Date(atMs);
  switch (unit) {
    case 'm':
    case 'h':
    case 'd': {
      const length = UNIT_SECONDS[unit];
      const seconds = Math.floor(atMs / 1000);
      const start = seconds - (seconds % length);
      return { start, end: start + length };
    }
    case 'mo': {
      const start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1) / 1000;
      const end = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1) / 1000;
      return { start, end };
    }
  }
}

/** USD as integer nano-dollars: counters stay exact under concurrent INCRBY. */
export function toNanoUsd(usd: number): number {
  return Math.round(usd * 1e9);
}
