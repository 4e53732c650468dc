import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ENV, Env, LOGGER, Logger } from '@tollgate/common';
import { watchQueuedEventsLoss } from '@tollgate/queue';
import { RedisDataLossWatch } from '@tollgate/redis';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { REQUEST_REDIS } from './tokens';

/** The gateway's watch for a Redis that lost the queued events (production mode only). */
@Injectable()
export class RedisDataLossMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private watch: RedisDataLossWatch | null = null;

  constructor(
    @Inject(REQUEST_REDIS) private readonly redis: Redis | null,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.redis) return;
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
  }
}
