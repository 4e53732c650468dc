import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, Env, LOGGER, Logger } from '@tollgate/common';
import { JobName, JobPayload, QueueName, RequestEventData, eventRetryDelayMs } from '@tollgate/queue';
import { bullmqConnectionOptions } from '@tollgate/redis';
import { EventSettlementService } from '@tollgate/limits';
import { Job, Worker } from 'bullmq';
import { BatchCollector } from './batch-collector';

/**
 * Consumes the request-events queue: prices, settles and persists events, in batches. A failed
 * batch fails its jobs, and BullMQ retries them with backoff; inserts are idempotent on the
 * request id, so a retry never double-counts.
 */
@Injectable()
export class RequestEventsProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: Worker | null = null;
  private readonly batches: BatchCollector<RequestEventData>;
  private readonly logger: Logger;

  constructor(
    private readonly settlement: EventSettlementService,
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'RequestEventsProcessor' });
    this.batches = new BatchCollector((events) => this.settlement.record(events), env.eventBatchSize, env.eventFlushIntervalMs);
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
        // Event jobs back off exponentially up to a cap (see EVENT_JOB_ATTEMPTS).
        settings: { backoffStrategy: (attemptsMade: number) => eventRetryDelayMs(attemptsMade, this.env.eventRetryMaxDelayMs) },
      },
    );
    worker.on('failed', (job, error) => this.logger.warn({ jobId: job?.id, err: error }, 'event job failed'));
    worker.on('error', (error) => this.logger.error({ err: error }, 'event worker error'));
    this.worker = worker;
    this.logger.info({ queue: QueueName.RequestEvents }, 'consuming');
  }

  async onApplicationShutdown(): Promise<void> {
    this.batches.flush();
    await this.worker?.close();
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
