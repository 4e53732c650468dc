import { ConfigChange, ConfigEntity, Logger, withTimeout } from '@tollgate/common';
import { ConfigChangeBus } from './config-change-bus';

/** How long start-up waits for the bus subscription before serving without it. */
const SUBSCRIBE_WAIT_MS = 2_000;

export interface ConfigSyncOptions {
  /** The announcements that concern this view. */
  entities: readonly ConfigEntity[];
  /** Reloads what one announcement names. */
  reloadOne: (change: ConfigChange) => Promise<void>;
  /** Reloads everything. */
  reloadAll: () => Promise<void>;
  /** The full reload's period (CONFIG_RESYNC_INTERVAL_MS). */
  intervalMs: number;
  logger: Logger;
  /** Logged with the error when a reload fails. */
  failureMessage: string;
  /** After a failed reload of one announcement, the wait before a full reload repairs it. */
  retryMs?: number;
}

/** A failed announcement (a revocation among them) is repaired this soon, not at the next period. */
const RETRY_MS = 1_000;

/**
 * Keeps one in-memory view of admin configuration fresh on every replica: reloads what the
 * change bus announces, everything after a bus reconnect (announcements sent meanwhile are
 * lost) and on a timer (repairs any other loss). Reloads run one at a time, in arrival order,
 * so an older read never overwrites a newer one; a failed reload leaves the last good state
 * serving until the next one.
 */
export class ConfigSync {
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** A full reload waiting its turn: one more request for it adds nothing (it will read the latest). */
  private queuedResync: Promise<void> | null = null;

  constructor(
    private readonly bus: ConfigChangeBus,
    private readonly options: ConfigSyncOptions,
  ) {}

  /**
   * Subscribes, loads everything once, then starts the periodic reload. The subscription is
   * awaited only briefly: with the bus unreachable (Redis down while a pod restarts) the
   * replica still starts and serves from the database, and the bus resyncs it in full once it
   * connects.
   */
  async start(): Promise<void> {
    const subscribed = this.bus.subscribe(
      (change) => {
        if (this.options.entities.includes(change.entity)) void this.enqueue(() => this.options.reloadOne(change), () => this.retrySoon());
      },
      () => void this.resync(),
    );
    await withTimeout(subscribed, SUBSCRIBE_WAIT_MS, 'the config change bus did not answer').catch((error: unknown) =>
      this.options.logger.warn({ err: error }, 'config change bus unreachable: serving from the database; a full reload follows once it connects'),
    );
    await this.resync();
    this.timer = setInterval(() => void this.resync(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = null;
    this.retryTimer = null;
  }

  /** A full reload, after what is queued; coalesced with one already waiting (slow loads never pile up). */
  resync(): Promise<void> {
    if (this.queuedResync) return this.queuedResync;
    const queued = this.enqueue(() => {
      this.queuedResync = null;
      return this.options.reloadAll();
    });
    this.queuedResync = queued;
    return queued;
  }

  private enqueue(task: () => Promise<void>, onFailure?: () => void): Promise<void> {
    const run = this.queue.then(task).catch((error: unknown) => {
      this.options.logger.error({ err: error }, this.options.failureMessage);
      onFailure?.();
    });
    this.queue = run;
    return run;
  }

  private retrySoon(): void {
    if (this.retryTimer || this.timer === null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.resync();
    }, this.options.retryMs ?? RETRY_MS);
    this.retryTimer.unref();
  }
}
