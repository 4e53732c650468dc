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
          removeOnComplete: { age: 3_600, count: 10_000 },
          removeOnFail: { age: 7 * 86_400 },
        },
      })),
    );
  };
}
