import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, Logger } from '@tollgate/common';
import { EVENT_SINK, EventSink } from '@tollgate/queue';
import { ExchangesInFlight } from './exchanges-in-flight';
import { toReplayableEvent } from './replayable-event';

/**
 * How long a stopping gateway keeps retrying the delivery of its last events (a Redis failover):
 * short enough that the whole stop fits Kubernetes' default 30 s grace period (shutdownDeadlineMs).
 */
export const SHUTDOWN_RETRY_MS = 7_000;
/** How long it waits for exchanges cut at the drain deadline to finish and publish their events. */
export const CUT_EXCHANGES_WAIT_MS = 2_000;

/**
 * Delivers the events still buffered when the gateway stops. It belongs to the root module: Nest
 * calls shutdown hooks from the root down and global modules' last, so this runs after the
 * listeners have closed (no request adds more) and before the global modules release what
 * delivery needs: the Redis clients and queue, and in standalone mode the database connection
 * the events are recorded through.
 */
@Injectable()
export class EventFlushOnShutdown implements OnApplicationShutdown {
  private readonly logger: Logger;

  constructor(
    @Inject(EVENT_SINK) private readonly sink: EventSink,
    private readonly inFlight: ExchangesInFlight,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'EventSink' });
  }

  async onApplicationShutdown(): Promise<void> {
    if (!(await this.inFlight.settled(CUT_EXCHANGES_WAIT_MS))) {
      this.logger.warn({ running: this.inFlight.running }, 'exchanges still running at shutdown: their events may be missing');
    }
    await this.sink.flush(SHUTDOWN_RETRY_MS).catch((error: unknown) => this.logUndelivered(error));
  }

  /**
   * Nothing else can record these: settlement needs the Redis that failed (spend is settled
   * there before it is persisted), so writing them to Postgres from here would leave budgets
   * short of their cost. Each goes to the log whole but for its texts, so it can be replayed.
   */
  private logUndelivered(error: unknown): void {
    const undelivered = this.sink.undelivered();
    this.logger.error({ err: error, undelivered: undelivered.length }, 'events left undelivered at shutdown: not recorded; each is logged as "event undelivered at shutdown" for replay');
    for (const event of undelivered) {
      this.logger.error({ event: toReplayableEvent(event) }, 'event undelivered at shutdown: queue it as a record-request-event job to record it');
    }
  }
}
