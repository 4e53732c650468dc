import { Queue } from 'bullmq';
import { JobName } from './queue-names';
import { DeliverBatch } from './batching-event-sink';

/** Delivers a batch as BullMQ jobs in one round-trip; the job id is the request id (idempotent). */
export function bullmqEventDelivery(queue: Queue): DeliverBatch {
  return async (events) => {
    await queue.addBulk(
      events.map((event) => ({
        name: JobName.RecordRequestEvent,
        data: event,
        opts: {
          jobId: event.id,
          attempts: 10,
          backoff: { type: 'exponential', delay: 1_000 },
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
