import { Injectable } from '@nestjs/common';

/**
 * Counts the proxied exchanges still running. A stopping gateway cuts the connections of those
 * its drain deadline caught; each then finishes on its own (its upstream call aborted, its
 * event published) a moment after the listener has closed. The event flush waits for them, or
 * their events would be published into a buffer nobody delivers any more.
 */
@Injectable()
export class ExchangesInFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  begin(): void {
    this.count += 1;
  }

  end(): void {
    this.count = Math.max(0, this.count - 1);
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once none is running, or after `timeoutMs` (true: none left). */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  get running(): number {
    return this.count;
  }
}
