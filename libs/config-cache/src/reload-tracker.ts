/** A view's reloads: everything, what changed since the last read, or one announced entity. */
export const CONFIG_RELOAD_KINDS = ['full', 'changed', 'announced'] as const;
export type ConfigReloadKind = (typeof CONFIG_RELOAD_KINDS)[number];

export interface ReloadTotals {
  /** Failed reloads by kind since the process started. */
  failures: Readonly<Record<ConfigReloadKind, number>>;
  /**
   * When a read of the whole view (in full, or what changed) last succeeded, in epoch ms; null
   * before the first. An announcement's reload says nothing of the other entities: it does not count.
   */
  lastSuccessAt: number | null;
}

/**
 * What a view's reloads came to, for the gateway's metrics. A failed reload leaves the last good
 * state serving, logged once per interval: without these a replica serving a stale snapshot
 * (Postgres unreachable from it alone, say) is seen only in its logs.
 */
export class ReloadTracker {
  private readonly failures = Object.fromEntries(CONFIG_RELOAD_KINDS.map((kind) => [kind, 0])) as Record<ConfigReloadKind, number>;
  private lastSuccessAt: number | null = null;

  /** Runs a reload and notes how it went; a failure still reaches the caller (ConfigSync logs it and retries). */
  async track(kind: ConfigReloadKind, reload: () => Promise<void>): Promise<void> {
    try {
      await reload();
    } catch (error) {
      this.failures[kind] += 1;
      throw error;
    }
    if (kind !== 'announced') this.lastSuccessAt = Date.now();
  }

  totals(): ReloadTotals {
    return { failures: this.failures, lastSuccessAt: this.lastSuccessAt };
  }
}
