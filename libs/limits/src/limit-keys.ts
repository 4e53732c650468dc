import { ReservationKeys } from './limit-store';
import { BudgetUnit, budgetPeriod } from './limit-windows';

export type ScopeKind = 'key' | 'user';

/** Redis key names of the limit counters, under the deployment's prefix. */
export class LimitKeys {
  constructor(private readonly prefix: string) {}

  get hydrated(): string {
    return `${this.prefix}:limits:spend-hydrated`;
  }

  get hydrationLock(): string {
    return `${this.prefix}:limits:spend-hydrating`;
  }

  rate(kind: ScopeKind, id: string, unit: string): string {
    return `${this.prefix}:limits:rate:${kind}:${id}:${unit}`;
  }

  reservations(kind: ScopeKind, id: string): ReservationKeys {
    // Distinct namespaces: a suffix on the set's name could equal another id's set name. Not the
    // sets' former name either ("reserved"), which gateways without running totals fill: sharing
    // it during a rolling upgrade would leave totals short of what the set holds.
    return { setKey: `${this.prefix}:limits:reservations:${kind}:${id}`, totalKey: `${this.prefix}:limits:reservations-total:${kind}:${id}` };
  }

  lifetimeSpent(kind: ScopeKind, id: string): string {
    return `${this.prefix}:limits:spent:${kind}:${id}:total`;
  }

  periodSpent(kind: ScopeKind, id: string, unit: BudgetUnit, atMs: number): { key: string; ttlSeconds: number } {
    const period = budgetPeriod(unit, atMs);
    // Kept an hour past the period's end, for requests settled just after it.
    return { key: `${this.prefix}:limits:spent:${kind}:${id}:${unit}:${period.start}`, ttlSeconds: Math.max(1, period.end - Math.floor(atMs / 1000)) + 3_600 };
  }

  settled(requestId: string): string {
    return `${this.prefix}:limits:settled:${requestId}`;
  }
}

/** A reservation member is "<requestId>:<amountNano>"; returns the amount. */
export function reservationNano(member: string): number {
  const amount = Number(member.slice(member.lastIndexOf(':') + 1));
  return Number.isFinite(amount) && amount > 0 ? amount : 0;
}
