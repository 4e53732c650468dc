import { Queue } from 'bullmq';
import { JobName } from './queue-names';
import { DeliverBatch } from './batching-event-sink';

/**
 * An event the worker cannot record (Postgres down, say) is retried, never dropped: the first
 * retry after a second, each next one after twice as long, capped (EVENT_RETRY_MAX_DELAY_MS,
 * 5 minutes by default), for about a week at that cap. Only then does the job fail for good,
 * and it is kept another week among BullMQ's failed jobs.
 */
export const EVENT_JOB_ATTEMPTS = 2_000;
export const EVENT_JOB_FIRST_RETRY_MS = 1_000;
/** The worker's own backoff strategy (BullMQ's exponential one has no cap). */
export const EVENT_JOB_BACKOFF = 'event-retry';

/** The wait before the next attempt of an event job that failed `attemptsMade` times. */
export function eventRetryDelayMs(attemptsMade: number, maxDelayMs: number): number {
  return Math.min(EVENT_JOB_FIRST_RETRY_MS * 2 ** Math.max(0, attemptsMade - 1), maxDelayMs);
}

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
          backoff: { type: EVENT_JOB_BACKOFF },
          // BullMQ keeps every failed attempt's stack trace by default: over a long outage's
          // thousands of attempts that is megabytes per job, in the Redis the limits live in.
          stackTraceLimit: 3,
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
