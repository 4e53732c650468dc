import { Logger } from '@tollgate/common';
import { RedisDataLoss, RedisDataLossWatch } from '@tollgate/redis';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';

/**
 * Watches for the loss of the event queue's data in Redis (see RedisDataLossWatch), in the
 * gateway and in the worker: an error line (the events queued and not yet recorded are lost for
 * good, which only Redis's persistence prevents) and a count for the caller's metrics.
 */
export function watchQueuedEventsLoss(options: {
  redis: Redis;
  dataSource: DataSource;
  queuePrefix: string;
  logger: Logger;
  count: (loss: RedisDataLoss) => void;
  /** The periodic check's interval (CONFIG_RESYNC_INTERVAL_MS). */
  intervalMs: number;
}): RedisDataLossWatch {
  const { redis, dataSource, queuePrefix, logger, count, intervalMs } = options;
  return new RedisDataLossWatch(redis, {
    intervalMs,
    markerKey: `${queuePrefix}:redis-data-marker`,
    keyPattern: `${queuePrefix}:*`,
    ranBefore: async () => {
      const [row] = (await dataSource.query('SELECT EXISTS (SELECT 1 FROM events) AS ran')) as Array<{ ran: boolean }>;
      return row?.ran === true;
    },
    onLoss: (loss) => {
      count(loss);
      logger.error(
        { seen: loss },
        'Redis lost its data (a restart without persistence, a flush, a failover to an empty replica): events queued and not yet recorded are lost for good, and rate-limit windows restart (budgets rebuild from Postgres). Run Redis with persistence (appendonly yes) and noeviction.',
      );
    },
    onCheckFailed: (error) => logger.debug({ err: error }, 'Redis data check failed; it runs again at the next connection'),
  });
}
