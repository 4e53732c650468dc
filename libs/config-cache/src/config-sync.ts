import { ConfigChange, ConfigEntity, Logger } from '@tollgate/common';
import { ConfigChangeBus } from './config-change-bus';

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
}

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

  constructor(
    private readonly bus: ConfigChangeBus,
    private readonly options: ConfigSyncOptions,
  ) {}

  /** Subscribes, loads everything once, then starts the periodic reload. */
  async start(): Promise<void> {
    await this.bus.subscribe(
      (change) => {
        if (this.options.entities.includes(change.entity)) void this.enqueue(() => this.options.reloadOne(change));
      },
      () => void this.resync(),
    );
    await this.resync();
    this.timer = setInterval(() => void this.resync(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  resync(): Promise<void> {
    return this.enqueue(this.options.reloadAll);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task).catch((error: unknown) => {
      this.options.logger.error({ err: error }, this.options.failureMessage);
    });
    this.queue = run;
    return run;
  }
}
