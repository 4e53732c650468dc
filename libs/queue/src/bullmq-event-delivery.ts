import { Queue } from 'bullmq';
import { JobName } from './queue-names';
import { DeliverBatch } from './batching-event-sink';

/** Tries of one event job; the first retry waits EVENT_JOB_FIRST_RETRY_MS, each next one twice as long. */
export const EVENT_JOB_ATTEMPTS = 10;
export const EVENT_JOB_FIRST_RETRY_MS = 1_000;
/** How long after its first try an event job may still run again (1 + 2 + … + 256 s). */
export const EVENT_JOB_RETRY_SPAN_MS = EVENT_JOB_FIRST_RETRY_MS * (2 ** (EVENT_JOB_ATTEMPTS - 1) - 1);

/** Delivers a batch as BullMQ jobs in one round-trip; the job id is the request id (idempotent). */
export function bullmqEventDelivery(queue: Queue): DeliverBatch {
  return async (events) => {
    await queue.addBulk(
      events.map((event) => ({
        name: JobName.RecordRequestEvent,
        data: event,
        opts: {
          jobId: event.id,
          attempts: EVENT_JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: EVENT_JOB_FIRST_RETRY_MS },
          // Recorded events live in Postgres; keeping finished jobs (and their bodies) in Redis
          // only cost memory and trimming work. A re-sent job is harmless: inserts and
          // settlement are idempotent per request id.
          removeOnComplete: true,
          removeOnFail: { age: 7 * 86_400 },
        },
      })),
    );
  };
}
