import { ConfigChange, ConfigEntity, LogThrottle, Logger, withTimeout } from '@tollgate/common';
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
  /** The full reload's period. */
  intervalMs: number;
  /**
   * Reads what changed since the last read (by updated_at), without reading everything: every
   * `changedIntervalMs` (repairs an announcement lost, as a broadcast its writer could not send),
   * and every `pollMs` while the bus does not hear announcements (a partition, Redis down), so
   * that a revocation still applies within about that time. Not every `pollMs` always: that
   * cost the proxy (in `npm run bench`, +1.65 and +1.90 ms added p50 at 100 requests a second,
   * against +0.53 and +1.07 without, alternating on one 2-core machine).
   */
  reloadChanged?: () => Promise<void>;
  changedIntervalMs?: number;
  pollMs?: number;
  logger: Logger;
  /** Logged with the error when a reload fails. */
  failureMessage: string;
  /** After a failed reload of one announcement, the wait before a full reload repairs it. */
  retryMs?: number;
  /**
   * Announcements are applied while a full reload is still reading, instead of after it. A
   * large view (100,000 keys read in pages) takes most of a second to reload, and a revocation
   * must not wait that long. The view then owns the ordering: a full reload that began before
   * an announcement was applied must keep that announcement's result when it installs its read.
   */
  applyChangesDuringFullReload?: boolean;
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
  /** Announcements' own queue, when they do not wait for full reloads. */
  private changes: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** A full reload waiting its turn: one more request for it adds nothing (it will read the latest). */
  private queuedResync: Promise<void> | null = null;
  private queuedRefresh: Promise<void> | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  /** A reload has succeeded: until then (the database was away at start) every poll tries again. */
  private loaded = false;
  /** Reloads fail over and over while the database is away: one warning per interval. */
  private readonly failureLog = new LogThrottle();

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
        if (!this.options.entities.includes(change.entity)) return;
        const reload = () => this.options.reloadOne(change);
        // Settles once applied (never rejects): a write's own replica answers after it.
        return this.options.applyChangesDuringFullReload ? this.enqueueChange(reload) : this.enqueue(reload, () => this.retrySoon());
      },
      () => void this.resync(),
    );
    await withTimeout(subscribed, SUBSCRIBE_WAIT_MS, 'the config change bus did not answer').catch((error: unknown) =>
      this.options.logger.warn({ err: error }, 'config change bus unreachable: serving from the database; a full reload follows once it connects'),
    );
    await this.resync();
    this.timer = setInterval(() => void this.resync(), this.options.intervalMs);
    this.timer.unref();
    const { reloadChanged, pollMs, changedIntervalMs } = this.options;
    if (reloadChanged && pollMs && changedIntervalMs) {
      let lastRead = Date.now();
      this.pollTimer = setInterval(() => {
        if (this.loaded && this.bus.hearsChanges() && Date.now() - lastRead < changedIntervalMs) return;
        lastRead = Date.now();
        void this.refresh();
      }, pollMs);
      this.pollTimer.unref();
    }
  }

  stop(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
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
      return this.options.reloadAll().then(() => void (this.loaded = true));
    });
    this.queuedResync = queued;
    return queued;
  }

  /** A read of what changed, after what is queued; none when one, or a full reload, is already waiting. */
  private refresh(): Promise<void> {
    const reloadChanged = this.options.reloadChanged;
    if (!reloadChanged) return Promise.resolve();
    if (this.queuedResync) return this.queuedResync;
    if (this.queuedRefresh) return this.queuedRefresh;
    const queued = this.enqueue(() => {
      this.queuedRefresh = null;
      return reloadChanged().then(() => void (this.loaded = true));
    });
    this.queuedRefresh = queued;
    return queued;
  }

  private enqueue(task: () => Promise<void>, onFailure?: () => void): Promise<void> {
    const run = this.queue.then(task).catch((error: unknown) => this.failed(error, onFailure));
    this.queue = run;
    return run;
  }

  /** Announcements still run one at a time, in arrival order, among themselves. */
  private enqueueChange(task: () => Promise<void>): Promise<void> {
    const run = this.changes.then(task).catch((error: unknown) => this.failed(error, () => this.retrySoon()));
    this.changes = run;
    return run;
  }

  /** The last good state keeps serving: a warning (a recurring one while the database is away), not an error. */
  private failed(error: unknown, onFailure?: () => void): void {
    this.failureLog.note((occurrences) => this.options.logger.warn({ err: error, occurrences }, this.options.failureMessage));
    onFailure?.();
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
