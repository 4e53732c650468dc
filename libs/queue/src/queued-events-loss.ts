import { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from '@tollgate/common';
import { RedisDataLoss, RedisDataLossWatch } from '@tollgate/redis';
import Redis from 'ioredis';
import { Counter, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { QueueName } from './queue-names';

export interface QueuedEventsLossMonitorOptions {
  /** A connection that may be looked at (not a blocking one); null: no Redis (standalone mode). */
  redis: Redis | null;
  dataSource: DataSource;
  queuePrefix: string;
  logger: Logger;
  /** The process's metrics registry: the monitor counts the losses it sees there. */
  registry: Registry;
  /** The periodic check's interval (CONFIG_RESYNC_INTERVAL_MS). */
  intervalMs: number;
}

/**
 * Watches, in the gateway and in the worker, for Redis losing the event queue's data (see
 * RedisDataLossWatch): an error line, since the events queued and not yet recorded are lost for
 * good (only Redis's persistence prevents it), and `tollgate_redis_data_loss_total` in the
 * process's metrics.
 */
export class QueuedEventsLossMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private watch: RedisDataLossWatch | null = null;
  private readonly losses: Counter<'seen'>;

  constructor(private readonly options: QueuedEventsLossMonitorOptions) {
    this.losses = new Counter({
      name: 'tollgate_redis_data_loss_total',
      help: "Times this process found Redis had lost Tollgate's data (queued events among it), by when: while-running or at-start. Alert on any.",
      labelNames: ['seen'],
      registers: [options.registry],
    });
  }

  onApplicationBootstrap(): void {
    const { redis, dataSource, queuePrefix, logger, intervalMs } = this.options;
    if (!redis) return;
    this.watch = new RedisDataLossWatch(redis, {
      intervalMs,
      markerKey: `${queuePrefix}:redis-data-marker`,
      keyPattern: `${queuePrefix}:*`,
      // BullMQ writes a queue's settings when the gateway's queue or the worker connects, and the
      // worker its stalled-jobs check: before this watch's first check, on an emptied Redis too.
      startupKeys: [`${queuePrefix}:${QueueName.RequestEvents}:meta`, `${queuePrefix}:${QueueName.RequestEvents}:stalled-check`],
      ranBefore: async () => {
        const [row] = (await dataSource.query('SELECT EXISTS (SELECT 1 FROM events) AS ran')) as Array<{ ran: boolean }>;
        return row?.ran === true;
      },
      onLoss: (loss: RedisDataLoss) => {
        this.losses.inc({ seen: loss });
        logger.error(
          { seen: loss },
          'Redis lost its data (a restart without persistence, a flush, a failover to an empty replica): events queued and not yet recorded are lost for good, and rate-limit windows restart (budgets rebuild from Postgres). Run Redis with persistence (appendonly yes) and noeviction.',
        );
      },
      onCheckFailed: (error) => logger.debug({ err: error }, 'Redis data check failed; it runs again at the next connection'),
    });
    this.watch.start();
  }

  onApplicationShutdown(): void {
    this.watch?.stop();
  }
}
