/**
 * Logs a condition that recurs while it lasts (a dependency down, a buffer full) once per
 * interval, with how many occurrences the line stands for: an outage at 1,000 requests a
 * second is one line every ten seconds, not a thousand a second, and nothing is hidden.
 */
export class LogThrottle {
  private lastLoggedAt = -Infinity;
  private unlogged = 0;

  constructor(private readonly intervalMs = 10_000) {}

  /** Calls `log` with the occurrences since the last line (this one included), or counts this one. */
  note(log: (occurrences: number) => void): void {
    const now = Date.now();
    if (now - this.lastLoggedAt < this.intervalMs) {
      this.unlogged += 1;
      return;
    }
    const occurrences = this.unlogged + 1;
    this.unlogged = 0;
    this.lastLoggedAt = now;
    log(occurrences);
  }
}

/**
 * One {@link LogThrottle} per key (a provider setting, say): one key's storm neither hides
 * another's first line nor is hidden by it. Keys must be bounded in number (settings that exist).
 */
export class KeyedLogThrottle {
  private readonly throttles = new Map<string, LogThrottle>();

  constructor(private readonly intervalMs = 10_000) {}

  note(key: string, log: (occurrences: number) => void): void {
    let throttle = this.throttles.get(key);
    if (!throttle) this.throttles.set(key, (throttle = new LogThrottle(this.intervalMs)));
    throttle.note(log);
  }
}

/**
 * Like {@link LogThrottle}, for a condition whose every occurrence is worth naming (a request
 * that failed, say): a line gives the details of those noted since the last one, by name (the
 * latest per name), up to `maxNamed` (the rest are in `occurrences` only). What the interval
 * holds back is logged when it ends, not with the next occurrence, which may never come, and
 * at the latest when its owner calls {@link close} on shutdown (the timer is unref'd: a process
 * that ends first would otherwise lose those lines).
 */
export class NamingLogThrottle<T> {
  private lastLoggedAt = -Infinity;
  private named = new Map<string, T>();
  private occurrences = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly log: (details: T[], occurrences: number) => void,
    private readonly intervalMs = 10_000,
    private readonly maxNamed = 20,
  ) {}

  note(name: string, detail: T): void {
    if (this.named.has(name) || this.named.size < this.maxNamed) this.named.set(name, detail);
    this.occurrences += 1;
    const wait = this.lastLoggedAt + this.intervalMs - Date.now();
    // Once closed, nothing is held back: no interval's end is left to log it.
    if (wait <= 0 || this.closed) return this.flush();
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
    this.timer.unref();
  }

  /**
   * Logs what the interval holds back now, and from then on every occurrence at once: work
   * still finishing during shutdown (jobs in flight, the last events flushed) may note more,
   * whichever order the shutdown hooks run in.
   */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }

  private flush(): void {
    const details = [...this.named.values()];
    const { occurrences } = this;
    this.named = new Map();
    this.occurrences = 0;
    this.lastLoggedAt = Date.now();
    if (occurrences > 0) this.log(details, occurrences);
  }
}
