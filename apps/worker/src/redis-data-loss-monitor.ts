import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ENV, Env, LOGGER, Logger } from '@tollgate/common';
import { watchQueuedEventsLoss } from '@tollgate/queue';
import { RedisDataLossWatch, createRequestPathRedis } from '@tollgate/redis';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { WorkerMetrics } from './metrics/worker-metrics';

/**
 * The worker's watch for a Redis that lost the queued events, on a small connection of its own
 * (BullMQ's are blocking, the limit store's auto-pipelined): a worker may run without gateways
 * for a while, and it is the one that would have recorded those events.
 */
@Injectable()
export class WorkerRedisDataLossMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private redis: Redis | null = null;
  private watch: RedisDataLossWatch | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: WorkerMetrics,
  ) {}

  onApplicationBootstrap(): void {
    // Its errors are the other connections' too, which log them: this one stays quiet (the default).
    this.redis = createRequestPathRedis(this.env.redisUrl!, 'tollgate-worker-watch');
    this.watch = watchQueuedEventsLoss({
      redis: this.redis,
      dataSource: this.dataSource,
      queuePrefix: this.env.queuePrefix,
      logger: this.logger,
      count: (loss) => this.metrics.redisDataLost(loss),
      intervalMs: this.env.configResyncIntervalMs,
    });
    this.watch.start();
  }

  onApplicationShutdown(): void {
    this.watch?.stop();
    this.redis?.disconnect();
  }
}
