import { RequestEventData } from './request-event.job';

/**
 * Where the gateway hands finished requests. Publishing never blocks the response: it only
 * buffers; delivery (to BullMQ, or in standalone mode straight to the recorder) happens after.
 */
export interface EventSink {
  publish(event: RequestEventData): void;
  /** Delivers everything buffered, retrying failures for up to `retryForMs`; used at shutdown and by tests. */
  flush(retryForMs?: number): Promise<void>;
  /**
   * The events not delivered yet (being delivered first, then buffered): what a stop that gave
   * up on delivering leaves behind, for the log that lets an operator replay them.
   */
  undelivered(): RequestEventData[];
  /** For the gateway's metrics. */
  stats(): EventSinkStats;
}

export interface EventSinkStats {
  /** Events not yet delivered: buffered, being delivered, or back in the buffer after a failure. */
  pending: number;
  /** Events dropped since start because the buffer was full during a long delivery outage. */
  dropped: number;
  /** Failed delivery attempts since start (each is retried). */
  deliveryFailures: number;
}

export const EVENT_SINK = Symbol('EVENT_SINK');
