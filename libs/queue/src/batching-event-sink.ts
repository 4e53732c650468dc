import { LogThrottle, withTimeout } from '@tollgate/common';
import { Logger } from 'pino';
import { EventSink, EventSinkStats } from './event-sink';
import { RequestEventData } from './request-event.job';

export type DeliverBatch = (events: RequestEventData[]) => Promise<void>;

export interface BatchingOptions {
  maxBatch: number;
  flushIntervalMs: number;
  /** Events held while delivery fails; past this, the oldest are logged as lost (never silently). */
  maxBuffered: number;
  /**
   * The same bound on their size (see sizeOf): events can hold logged bodies, megabytes each,
   * so the count alone let a Redis outage run the gateway out of memory. Unbounded if absent.
   */
  maxBufferedBytes?: number;
}

/**
 * Buffers events and delivers them in batches: one round-trip per batch instead of one per
 * request. A failed delivery keeps the batch and retries with backoff, so a Redis hiccup
 * delays events instead of dropping them.
 */
export class BatchingEventSink implements EventSink {
  private buffer: RequestEventData[] = [];
  /** sizeOf the buffered events, summed. */
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private delivering: Promise<void> | null = null;
  private failures = 0;
  /** The batch being delivered: out of the buffer, not yet delivered. */
  private readonly inFlight = new Set<RequestEventData>();
  private dropped = 0;
  private deliveryFailures = 0;
  /** While deliveries fail, every publish past the bound drops one: logged once per interval. */
  private readonly droppedLog = new LogThrottle();

  constructor(
    private readonly deliver: DeliverBatch,
    private readonly options: BatchingOptions,
    private readonly logger: Logger,
  ) {}

  publish(event: RequestEventData): void {
    this.append([event]);
    if (this.overBound(this.buffer.length, this.bufferedBytes)) this.dropOldest();
    if (this.buffer.length >= this.options.maxBatch && this.failures === 0) this.schedule(0);
    else this.schedule(this.options.flushIntervalMs);
  }

  /**
   * Delivers everything buffered now. With `retryForMs` (a shutdown gives a Redis failover that
   * long), a failed delivery is retried with backoff, and the flush fails once that time is up,
   * whether deliveries failed or are still waiting (a client queueing commands until Redis
   * comes back never fails them). Without it, each delivery is tried once and awaited however
   * long it takes.
   */
  async flush(retryForMs = 0): Promise<void> {
    this.clearTimer();
    const giveUpAt = Date.now() + retryForMs;
    const inTime = (delivery: Promise<void>): Promise<void> =>
      retryForMs > 0 ? withTimeout(delivery, Math.max(0, giveUpAt - Date.now()), this.undeliveredError().message) : delivery;
    while (this.delivering) await inTime(this.delivering);
    while (this.buffer.length > 0) {
      await inTime(this.deliverOnce());
      if (this.failures === 0) continue;
      const wait = Math.min(this.backoffMs(), giveUpAt - Date.now());
      if (wait <= 0) throw this.undeliveredError();
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  undelivered(): RequestEventData[] {
    return [...this.inFlight, ...this.buffer];
  }

  stats(): EventSinkStats {
    return { pending: this.buffer.length + this.inFlight.size, dropped: this.dropped, deliveryFailures: this.deliveryFailures };
  }

  private schedule(delayMs: number): void {
    if (this.delivering) return;
    if (this.timer && delayMs > 0) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.deliverOnce().then(() => {
        if (this.buffer.length > 0) this.schedule(this.backoffMs());
      });
    }, delayMs);
    this.timer.unref();
  }

  private deliverOnce(): Promise<void> {
    if (this.delivering) return this.delivering;
    const batch = this.buffer.splice(0, this.options.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    this.bufferedBytes -= sumOfSizes(batch);
    batch.forEach((event) => this.inFlight.add(event));
    this.delivering = this.deliver(batch)
      .then(
        () => {
          this.failures = 0;
        },
        (error: unknown) => (batch.length === 1 ? this.keepFailed(batch, error, false) : this.deliverOneByOne(batch)),
      )
      .finally(() => {
        this.inFlight.clear();
        this.delivering = null;
      });
    return this.delivering;
  }

  /**
   * A batch that failed is delivered again one event at a time (as the worker's BatchCollector
   * does): one event that cannot be delivered, or a batch too big to be, must not hold up every
   * event behind it, as it did when the batch was put back and resent whole, forever.
   */
  private async deliverOneByOne(batch: RequestEventData[]): Promise<void> {
    const failing: RequestEventData[] = [];
    let lastError: unknown = null;
    for (const event of batch) {
      try {
        await this.deliver([event]);
        this.inFlight.delete(event);
      } catch (error) {
        failing.push(event);
        lastError = error;
      }
    }
    if (failing.length === 0) {
      this.failures = 0;
      this.logger.warn({ events: batch.length }, 'event batch failed as a whole; its events were delivered one by one');
    } else this.keepFailed(failing, lastError, failing.length < batch.length);
  }

  /**
   * Keeps events whose delivery failed: nothing is lost, a later attempt resends them. When
   * others went through, these are what fails, and they wait behind the buffer so the events
   * after them are not held up; otherwise (Redis or Postgres down) they go back to the front,
   * in order.
   */
  private keepFailed(events: RequestEventData[], error: unknown, othersWentThrough: boolean): void {
    this.failures += 1;
    this.deliveryFailures += 1;
    events.forEach((event) => this.inFlight.delete(event));
    this.append(events, othersWentThrough ? 'behind' : 'in front');
    this.logger.warn({ err: error, failed: events.length, buffered: this.buffer.length, failures: this.failures }, 'event delivery failed; will retry');
  }

  private append(events: RequestEventData[], where: 'behind' | 'in front' = 'behind'): void {
    if (where === 'behind') this.buffer.push(...events);
    else this.buffer.unshift(...events);
    this.bufferedBytes += sumOfSizes(events);
  }

  private overBound(count: number, bytes: number): boolean {
    return count > this.options.maxBuffered || (bytes > (this.options.maxBufferedBytes ?? Infinity) && count > 1);
  }

  /** Drops the oldest events until the buffer is within its bounds (the newest is always kept). */
  private dropOldest(): void {
    let count = 0;
    let bytes = this.bufferedBytes;
    while (this.overBound(this.buffer.length - count, bytes)) bytes -= sizeOf(this.buffer[count++]);
    const lost = this.buffer.splice(0, count);
    this.bufferedBytes = bytes;
    this.dropped += lost.length;
    const droppedSoFar = this.dropped;
    this.droppedLog.note((occurrences) =>
      this.logger.error({ lost: lost.map((e) => e.id), occurrences, droppedSoFar }, 'event buffer full: oldest events dropped (the line names the latest; tollgate_events_dropped_total counts them all)'),
    );
  }

  private undeliveredError(): Error {
    return new Error(`event delivery failed or did not finish in time; ${this.buffer.length + this.inFlight.size} events are still buffered`);
  }

  private backoffMs(): number {
    if (this.failures === 0) return this.options.flushIntervalMs;
    return Math.min(30_000, 100 * 2 ** Math.min(this.failures, 9));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * About the memory an event holds: its texts (bodies logged, text to count; V8 keeps ASCII text
 * at a byte a character) and a kilobyte for the rest of it.
 */
function sizeOf(event: RequestEventData): number {
  const texts = (event.request?.length ?? 0) + (event.response?.length ?? 0) + (event.estimationInput ? event.estimationInput.prompt.length + event.estimationInput.completion.length : 0);
  return 1_024 + texts;
}

function sumOfSizes(events: RequestEventData[]): number {
  return events.reduce((sum, event) => sum + sizeOf(event), 0);
}
