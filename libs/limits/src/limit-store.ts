export interface RateCheck {
  /** Counter key without the window start, which the store appends from its own clock. */
  counterBase: string;
  limit: number;
  windowSeconds: number;
}

/** Where a scope's outstanding reservations are kept (shared by all its budgets). */
export interface ReservationKeys {
  /** Sorted set of reservations: member "<requestId>:<amountNano>", scored by expiry. */
  setKey: string;
  /** The running total of the set's amounts (Redis; the memory store sums its set instead). */
  totalKey: string;
}

export interface BudgetCheck {
  reservations: ReservationKeys;
  /** Settled spend counter (nano-USD) of the budget's period, or of all time. */
  spentKey: string;
  limitNano: number;
}

export interface AdmissionPlan {
  hydratedKey: string;
  rate: RateCheck[];
  budgets: BudgetCheck[];
  /** Identifies the reservation; the store appends ":<amountNano>". */
  requestId: string;
  amountNano: number;
  reservationTtlMs: number;
}

export type AdmissionOutcome =
  | { kind: 'admitted'; rate: { limit: number; remaining: number; resetSeconds: number } | null }
  | { kind: 'rate-limited'; index: number; limit: number; resetSeconds: number }
  | { kind: 'budget-exhausted'; index: number; limitNano: number; committedNano: number }
  | { kind: 'needs-hydration' };

export interface CounterIncrement {
  key: string;
  /** 0: never expires. */
  ttlSeconds: number;
}

/** A reservation to hold until its event is settled. */
export interface HoldPlan {
  /** The reservation sets of the request's scopes. */
  reservations: ReservationKeys[];
  /** "<requestId>:<amountNano>". */
  member: string;
}

export interface SettlePlan {
  markerKey: string;
  markerTtlSeconds: number;
  /** The reservation sets of the request's scopes. */
  reservations: ReservationKeys[];
  /** The reservation's member ("<requestId>:<amountNano>"), or null when nothing was reserved. */
  reservationMember: string | null;
  actualNano: number;
  counters: CounterIncrement[];
}

/** Whether settling a plan adds to spend counters (releasing a reservation alone does not). */
export function addsSpend(plan: SettlePlan): boolean {
  return plan.actualNano > 0 && plan.counters.length > 0;
}

/**
 * Where limit counters live: Redis in production (atomic Lua, shared by every replica), memory
 * in standalone mode (one process). Both implement exactly the same admission semantics.
 */
export interface LimitStore {
  admit(plan: AdmissionPlan): Promise<AdmissionOutcome>;
  /**
   * Settles each plan once; per plan, false when that request was already settled. When a plan
   * adds spend and the counters have not been rebuilt from Postgres (`hydratedKey` missing), it
   * answers 'needs-hydration' instead: the plans not settled yet are left as they were.
   */
  settle(plans: SettlePlan[], hydratedKey: string): Promise<boolean[] | 'needs-hydration'>;
  /** Gives the keys that exist (settled markers) a new TTL. */
  refresh(keys: string[], ttlSeconds: number): Promise<void>;
  /** Extends reservations still outstanding to expire no sooner than holdMs from now. */
  hold(plans: HoldPlan[], holdMs: number): Promise<void>;
  /** Adds rebuilt spend to counters, then marks them hydrated. */
  hydrate(increments: Array<CounterIncrement & { nano: number }>, hydratedKey: string): Promise<void>;
  isHydrated(hydratedKey: string): Promise<boolean>;
  tryLock(key: string, ttlMs: number): Promise<boolean>;
  unlock(key: string): Promise<void>;
  /**
   * Releases the store's connection. The app calls it at shutdown after its last write: the
   * gateway's final events are queued, and their reservations held, after its listeners close.
   */
  close(): Promise<void>;
}

export const LIMIT_STORE = Symbol('LIMIT_STORE');
