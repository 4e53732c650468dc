import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, Env, KeyedLogThrottle, LOGGER, LogThrottle, Logger, withTimeout } from '@tollgate/common';
import { JobName, JobPayload, QueueName, RequestEventData, eventRetryDelayMs } from '@tollgate/queue';
import { bullmqConnectionOptions, isRedisUnavailableError } from '@tollgate/redis';
import { EventSettlementService, LIMIT_STORE, LimitStore, UnrecordableEventError } from '@tollgate/limits';
import { Job, Worker } from 'bullmq';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { BatchCollector } from './batch-collector';

/** How long shutdown waits for BullMQ to finish the jobs in flight (a batch write takes far less). */
const WORKER_CLOSE_TIMEOUT_MS = 10_000;

/**
 * Consumes the request-events queue: prices, settles and persists events, in batches. A failed
 * batch is recorded again event by event (BatchCollector); an event Postgres refuses for its
 * data is then recorded degraded (EventSettlementService). What still fails fails its job, and
 * BullMQ retries it with backoff; inserts are idempotent on the request id, so a retry never
 * double-counts.
 */
@Injectable()
export class RequestEventsProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: Worker | null = null;
  private readonly batches: BatchCollector<RequestEventData>;
  private readonly logger: Logger;

  constructor(
    private readonly settlement: EventSettlementService,
    @Inject(LIMIT_STORE) private readonly limitStore: LimitStore,
    private readonly metrics: WorkerMetrics,
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'RequestEventsProcessor' });
    // Under load a batch fills before the wait ends; at low rates the wait is what batches.
    this.batches = new BatchCollector((events) => this.record(events), env.eventBatchSize, env.workerBatchWaitMs);
  }

  private async record(events: RequestEventData[]): Promise<void> {
    const started = performance.now();
    let recorded;
    try {
      recorded = await this.settlement.record(events);
    } catch (error) {
      this.metrics.failed((performance.now() - started) / 1000);
      if (error instanceof UnrecordableEventError) this.metrics.unrecordable();
      throw error;
    }
    // Outside the try: once recorded, nothing about metrics may fail the batch.
    this.metrics.recorded(recorded, (performance.now() - started) / 1000);
  }

  onApplicationBootstrap(): void {
    const worker = new Worker(
      QueueName.RequestEvents,
      (job: Job) => this.handle(job as unknown as JobPayload),
      {
        connection: bullmqConnectionOptions(this.env.redisUrl!),
        prefix: this.env.queuePrefix,
        // Enough jobs in flight to fill a batch.
        concurrency: this.env.eventBatchSize,
        // A job stalls when its worker dies mid-batch (a crash, an OOM kill, a lost node): up to a
        // batch of jobs at once. BullMQ fails a job for good on its second stall by default,
        // attempts left or not; redelivery is harmless (recording is idempotent), so a stall is
        // only fatal when it keeps happening, as with an event that crashes the worker every time.
        maxStalledCount: 10,
        // The one custom backoff type (EVENT_JOB_BACKOFF): exponential up to a cap.
        settings: { backoffStrategy: (attemptsMade: number) => eventRetryDelayMs(attemptsMade, this.env.eventRetryMaxDelayMs) },
      },
    );
    // During an outage every queued event fails, over and over: one line per interval, counting
    // the failures it stands for (tollgate_worker_batch_failures_total and the queue's delayed
    // jobs count them too). An event given up for good is always logged on its own.
    const retryLog = new LogThrottle();
    // While Redis is away BullMQ reports each of its reconnections: a warning per interval, as the
    // gateway logs its connections' errors, since the worker waits and resumes by itself. Kept
    // apart from other errors (a fault of the worker's own, still an error), so neither hides the other.
    const workerErrorLogs = new KeyedLogThrottle();
    worker.on('failed', (job, error) => {
      const attempts = job?.attemptsMade ?? 0;
      // Finished: BullMQ gave up on it, attempts left or not (a job that stalled too often, its
      // worker dying under it every time, fails for good after its first attempt).
      if (job?.finishedOn !== undefined) this.logger.error({ jobId: job.id, attempts, err: error }, 'event job failed for good; the event is not recorded');
      else retryLog.note((occurrences) => this.logger.warn({ jobId: job?.id, attempts, occurrences, err: error }, 'event jobs failed; will retry'));
    });
    worker.on('error', (error) => {
      if (isRedisUnavailableError(error)) workerErrorLogs.note('redis-unavailable', (occurrences) => this.logger.warn({ err: error, occurrences }, 'redis connection error'));
      else workerErrorLogs.note('worker-error', (occurrences) => this.logger.error({ err: error, occurrences }, 'event worker error'));
    });
    this.worker = worker;
    this.logger.info({ queue: QueueName.RequestEvents }, 'consuming');
  }

  async onApplicationShutdown(): Promise<void> {
    this.batches.flush();
    // Waits for the jobs in flight, the flushed batch's included; only then may settlement's
    // connection go. BullMQ finishes each job in Redis: with Redis gone that never happens, and
    // the process never exited. Past the deadline it stops waiting; a job not marked finished
    // is delivered again once Redis is back, and recording it again changes nothing (idempotent).
    if (this.worker) {
      await withTimeout(this.worker.close(), WORKER_CLOSE_TIMEOUT_MS, 'closing the queue worker timed out').catch((error: unknown) => {
        this.logger.warn({ err: error }, 'Redis did not let the worker close: exiting without it (jobs in flight are delivered again, and recorded once)');
      });
    }
    await this.limitStore.close();
  }

  private async handle(job: JobPayload): Promise<void> {
    switch (job.name) {
      case JobName.RecordRequestEvent:
        return this.batches.add(job.data);
      default: {
        const unknown: never = job.name;
        throw new Error(`no handler for job ${String(unknown)}`);
      }
    }
  }
}
