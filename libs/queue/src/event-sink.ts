import { RequestEventData } from './request-event.job';

/**
 * Where the gateway hands finished requests. Publishing never blocks the response: it only
 * buffers; delivery (to BullMQ, or in standalone mode straight to the recorder) happens after.
 */
export interface EventSink {
  publish(event: RequestEventData): void;
  /** Delivers everything buffered; used at shutdown and by tests. */
  flush(): Promise<void>;
}

export const EVENT_SINK = Symbol('EVENT_SINK');
