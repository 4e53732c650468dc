import { AdmissionOutcome, AdmissionPlan, CounterIncrement, HoldPlan, LimitStore, SettlePlan, addsSpend } from './limit-store';
import { reservationNano } from './limit-keys';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Standalone mode's limit counters: the same semantics as the Redis scripts, in one process's
 * memory. JavaScript runs each call to completion, which gives the atomicity Lua gives Redis.
 */
export class MemoryLimitStore implements LimitStore {
  private readonly counters = new Map<string, { value: number; expiresAt: number }>();
  private readonly reservations = new Map<string, Map<string, number>>();
  private lastSweep = Date.now();

  /** Entries held (counters, markers and reservations), for tests and diagnostics. */
  get size(): number {
    let size = this.counters.size;
    for (const set of this.reservations.values()) size += set.size;
    return size;
  }

  async admit(plan: AdmissionPlan): Promise<AdmissionOutcome> {
    const now = Date.now();
    this.sweep(now);
    const nowS = Math.floor(now / 1000);
    if (plan.budgets.length > 0 && !this.get(plan.hydratedKey, now)) return { kind: 'needs-hydration' };
    let tightest: { limit: number; remaining: number; resetSeconds: number } | null = null;
    const rateKeys: Array<{ key: string; window: number }> = [];
    for (const [index, check] of plan.rate.entries()) {
      const start = nowS - (nowS % check.windowSeconds);
      const key = `${check.counterBase}:${start}`;
      const count = this.get(key, now);
      const resetSeconds = start + check.windowSeconds - nowS;
      if (count >= check.limit) return { kind: 'rate-limited', index, limit: check.limit, resetSeconds };
      rateKeys.push({ key, window: check.windowSeconds });
      const remaining = check.limit - count - 1;
      if (!tightest || remaining < tightest.remaining) tightest = { limit: check.limit, remaining, resetSeconds };
    }
    for (const [index, budget] of plan.budgets.entries()) {
      const committed = this.get(budget.spentKey, now) + this.reserved(budget.reservations.setKey, now);
      if (committed + plan.amountNano > budget.limitNano) {
        return { kind: 'budget-exhausted', index, limitNano: budget.limitNano, committedNano: committed };
      }
    }
    for (const { key, window } of rateKeys) this.add(key, 1, now, window + 1);
    for (const budget of plan.budgets) {
      const set = this.reservations.get(budget.reservations.setKey) ?? new Map<string, number>();
      set.set(`${plan.requestId}:${plan.amountNano}`, now + plan.reservationTtlMs);
      this.reservations.set(budget.reservations.setKey, set);
    }
    return { kind: 'admitted', rate: tightest };
  }

  async settle(plans: SettlePlan[], hydratedKey: string): Promise<boolean[] | 'needs-hydration'> {
    const now = Date.now();
    this.sweep(now);
    if (plans.some(addsSpend) && !this.get(hydratedKey, now)) return 'needs-hydration';
    return plans.map((plan) => this.settleOne(plan, now));
  }

  private settleOne(plan: SettlePlan, now: number): boolean {
    if (this.get(plan.markerKey, now) > 0) return false;
    this.add(plan.markerKey, 1, now, plan.markerTtlSeconds);
    if (plan.reservationMember) {
      for (const { setKey } of plan.reservations) {
        const set = this.reservations.get(setKey);
        set?.delete(plan.reservationMember);
        if (set?.size === 0) this.reservations.delete(setKey);
      }
    }
    if (plan.actualNano > 0) for (const counter of plan.counters) this.add(counter.key, plan.actualNano, now, counter.ttlSeconds);
    return true;
  }

  async refresh(keys: string[], ttlSeconds: number): Promise<void> {
    const now = Date.now();
    for (const key of keys) {
      const value = this.get(key, now);
      if (value > 0) this.counters.set(key, { value, expiresAt: now + ttlSeconds * 1000 });
    }
  }

  async hold(plans: HoldPlan[], holdMs: number): Promise<void> {
    const until = Date.now() + holdMs;
    for (const plan of plans) {
      for (const { setKey } of plan.reservations) {
        const set = this.reservations.get(setKey);
        const expiresAt = set?.get(plan.member);
        if (set && expiresAt !== undefined && expiresAt < until) set.set(plan.member, until);
      }
    }
  }

  /** As the Redis store: set, not added to, and nothing written when the rebuild is already done. */
  async hydrate(increments: Array<CounterIncrement & { nano: number }>, hydratedKey: string): Promise<void> {
    const now = Date.now();
    if (this.get(hydratedKey, now) > 0) return;
    for (const increment of increments) this.counters.delete(increment.key);
    for (const increment of increments) this.add(increment.key, increment.nano, now, increment.ttlSeconds);
    this.add(hydratedKey, 1, now, 0);
  }

  async isHydrated(hydratedKey: string): Promise<boolean> {
    return this.get(hydratedKey, Date.now()) > 0;
  }

  async tryLock(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (this.get(key, now) > 0) return false;
    this.counters.set(key, { value: 1, expiresAt: now + ttlMs });
    return true;
  }

  async unlock(key: string): Promise<void> {
    this.counters.delete(key);
  }

  async close(): Promise<void> {
    // Nothing to release.
  }

  /**
   * Expired entries are otherwise only dropped when read again, and most never are (past rate
   * windows, per-request settled markers): without a sweep a long-running standalone gateway
   * would keep one entry per request forever. Amortized: a full pass at most once a minute.
   */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, entry] of this.counters) {
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.counters.delete(key);
    }
    for (const [key, set] of this.reservations) {
      for (const [member, expiresAt] of set) if (expiresAt <= now) set.delete(member);
      if (set.size === 0) this.reservations.delete(key);
    }
  }

  private get(key: string, now: number): number {
    const entry = this.counters.get(key);
    if (!entry) return 0;
    if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
      this.counters.delete(key);
      return 0;
    }
    return entry.value;
  }

  private add(key: string, amount: number, now: number, ttlSeconds: number): void {
    const value = this.get(key, now) + amount;
    this.counters.set(key, { value, expiresAt: ttlSeconds > 0 ? now + ttlSeconds * 1000 : 0 });
  }

  private reserved(key: string, now: number): number {
    const set = this.reservations.get(key);
    if (!set) return 0;
    let total = 0;
    for (const [member, expiresAt] of set) {
      if (expiresAt <= now) set.delete(member);
      else total += reservationNano(member);
    }
    return total;
  }
}
