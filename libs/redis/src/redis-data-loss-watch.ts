import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

/** When the loss was seen: while this process was connected, or as it started. */
export type RedisDataLoss = 'while-running' | 'at-start';

export interface RedisDataLossWatchOptions {
  /** The marker's key, under the deployment's prefix. */
  markerKey: string;
  /** Keys of this deployment (`<prefix>:*`): a Redis holding any is not empty. */
  keyPattern: string;
  /**
   * Keys processes write as they start, before the watch's first check (a queue's settings):
   * found alone, they say nothing about what Redis held before.
   */
  startupKeys?: readonly string[];
  /** Whether Tollgate ran before (Postgres holds events): then an empty Redis has lost something. */
  ranBefore: () => Promise<boolean>;
  onLoss: (loss: RedisDataLoss) => void;
  /** Checks on this period too: a FLUSHALL or a failover may leave the connection up. */
  intervalMs?: number;
  /** A check that failed (Redis or Postgres away): it runs again at the next connection. */
  onCheckFailed?: (error: unknown) => void;
}

/** SCAN calls made to tell an empty Redis from one a release without the marker filled. */
const MAX_SCANS = 20;

/**
 * Notices that Redis lost Tollgate's data: a restart without persistence, a FLUSHALL, a failover
 * to a replica that had not caught up. The queued events the worker had not recorded yet are
 * gone then, and nothing else would say so; budgets rebuild their counters from Postgres, but
 * rate-limit windows restart.
 *
 * A marker key holds an id for this Redis's data, set by the first process to find it missing.
 * Every (re)connection reads it, and so does a periodic check: missing or changed since this
 * process last saw it, the data was lost while it ran. A process that starts on a Redis without a marker reports a loss when
 * Tollgate ran before (Postgres holds events) and Redis holds none of its keys; a Redis with keys
 * but no marker is one a release without the watch used, and is only marked.
 */
export class RedisDataLossWatch {
  /** The marker's value at this process's last completed check; null before the first. */
  private seen: string | null = null;
  /** The marker this process set at start, while its verdict (a loss or not) is still to be made. */
  private markedAtStart: string | null = null;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisDataLossWatchOptions,
  ) {}

  /** Checks now if connected, at every connection from now on, and on the period if one is set. */
  start(): void {
    this.redis.on('ready', this.onReady);
    if (this.redis.status === 'ready') this.onReady();
    if (this.options.intervalMs) {
      this.timer = setInterval(() => this.redis.status === 'ready' && this.onReady(), this.options.intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    this.redis.off('ready', this.onReady);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private readonly onReady = (): void => {
    void this.check();
  };

  /** One check at a time; resolves when it is done (failures are reported, not thrown). */
  check(): Promise<void> {
    this.running ??= this.read()
      .catch((error: unknown) => this.options.onCheckFailed?.(error))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async read(): Promise<void> {
    const { markerKey } = this.options;
    const candidate = randomUUID();
    const created = (await this.redis.set(markerKey, candidate, 'NX')) === 'OK';
    const current = created ? candidate : await this.redis.get(markerKey);
    const previous = this.seen;
    if (previous !== null) {
      this.seen = current;
      if (current !== previous) this.options.onLoss('while-running');
      return;
    }
    // The first check: a marker this process set (now, or at a check that failed half-way) means
    // Redis had none, and whether that is a loss depends on what came before.
    if (created || (current !== null && current === this.markedAtStart)) {
      this.markedAtStart = current;
      if ((await this.options.ranBefore()) && !(await this.holdsOtherKeys())) this.options.onLoss('at-start');
    }
    this.seen = current;
  }

  private async holdsOtherKeys(): Promise<boolean> {
    let cursor = '0';
    for (let scans = 0; scans < MAX_SCANS; scans++) {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.options.keyPattern, 'COUNT', 1000);
      if (keys.some((key) => key !== this.options.markerKey && !this.options.startupKeys?.includes(key))) return true;
      cursor = next;
      if (cursor === '0') return false;
    }
    // Still looking after 20,000 keys of others: said not empty, so that a shared Redis never
    // raises a false alarm (a loss there goes unreported at start, not while running).
    return true;
  }
}
