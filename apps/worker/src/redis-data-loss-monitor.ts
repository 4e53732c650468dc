import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ENV, Env, LOGGER, Logger } from '@tollgate/common';
import { watchQueuedEventsLoss } from '@tollgate/queue';
import { RedisDataLossWatch } from '@tollgate/redis';
import { DataSource } from 'typeorm';
import { WorkerProbeRedis } from './health/worker-probe-redis';
import { WorkerMetrics } from './metrics/worker-metrics';

/**
 * The worker's watch for a Redis that lost the queued events: a worker may run without gateways
 * for a while, and it is the one that would have recorded those events.
 */
@Injectable()
export class WorkerRedisDataLossMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private watch: RedisDataLossWatch | null = null;

  constructor(
    private readonly probe: WorkerProbeRedis,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: WorkerMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.watch = watchQueuedEventsLoss({
      redis: this.probe.redis,
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
  }
}
