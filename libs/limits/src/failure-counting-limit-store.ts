import { AdmissionOutcome, AdmissionPlan, CounterIncrement, HoldPlan, LimitStore, SettlePlan } from './limit-store';
import { LimitStoreFailures, LimitStoreOperation } from './limit-store-failures';

/**
 * A limit store that counts its failed calls (see LimitStoreFailures), whatever fails them:
 * Redis refused, timed out, or lost the connection. Answers and errors pass through unchanged.
 */
export class FailureCountingLimitStore implements LimitStore {
  constructor(
    private readonly store: LimitStore,
    private readonly failures: LimitStoreFailures,
  ) {}

  admit(plan: AdmissionPlan): Promise<AdmissionOutcome> {
    return this.counted('admit', () => this.store.admit(plan));
  }

  settle(plans: SettlePlan[], hydratedKey: string): Promise<boolean[] | 'needs-hydration'> {
    return this.counted('settle', () => this.store.settle(plans, hydratedKey));
  }

  refresh(keys: string[], ttlSeconds: number): Promise<void> {
    return this.counted('refresh', () => this.store.refresh(keys, ttlSeconds));
  }

  hold(plans: HoldPlan[], holdMs: number): Promise<void> {
    return this.counted('hold', () => this.store.hold(plans, holdMs));
  }

  hydrate(increments: Array<CounterIncrement & { nano: number }>, hydratedKey: string): Promise<void> {
    return this.counted('hydrate', () => this.store.hydrate(increments, hydratedKey));
  }

  isHydrated(hydratedKey: string): Promise<boolean> {
    return this.counted('is_hydrated', () => this.store.isHydrated(hydratedKey));
  }

  tryLock(key: string, ttlMs: number): Promise<boolean> {
    return this.counted('try_lock', () => this.store.tryLock(key, ttlMs));
  }

  unlock(key: string): Promise<void> {
    return this.counted('unlock', () => this.store.unlock(key));
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private async counted<T>(operation: LimitStoreOperation, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.failures.count(operation);
      throw error;
    }
  }
}
