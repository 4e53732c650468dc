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
