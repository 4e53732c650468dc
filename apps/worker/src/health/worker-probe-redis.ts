import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ENV, Env } from '@tollgate/common';
import { createRequestPathRedis } from '@tollgate/redis';
import Redis from 'ioredis';

/**
 * A small Redis connection of the worker's own, for looking at Redis rather than working with
 * it (readiness, the data-loss watch): BullMQ's connections block, and the limit store's
 * queues commands while Redis is away. Tight timeouts, no offline queue; its connection errors
 * are the other connections' too, and those log them.
 */
@Injectable()
export class WorkerProbeRedis implements OnApplicationShutdown {
  readonly redis: Redis;

  constructor(@Inject(ENV) env: Env) {
    this.redis = createRequestPathRedis(env.redisUrl!, 'tollgate-worker-probe');
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
