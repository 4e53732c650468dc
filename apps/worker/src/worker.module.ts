import { DynamicModule, Module, Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CommonModule, Env, EnvValidationError, Logger } from '@tollgate/common';
import { createDataSourceOptions } from '@tollgate/database';
import { QueueName, QueuedEventsLossMonitor } from '@tollgate/queue';
import { LimitsModule, RedisLimitStore } from '@tollgate/limits';
import { ReportingModule } from '@tollgate/reporting';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { rateLimitedRedisErrorLogger } from '@tollgate/redis';
import { WorkerHealth } from './health/worker-health';
import { WorkerProbeRedis } from './health/worker-probe-redis';
import { WorkerMetrics } from './metrics/worker-metrics';
import { RequestEventsProcessor } from './processors/request-events.processor';

/** One processor per queue; WORKER_QUEUES picks which this process consumes (empty: all). */
const PROCESSORS: Record<QueueName, Provider> = {
  [QueueName.RequestEvents]: RequestEventsProcessor,
};

/** What is wrong with WORKER_QUEUES, if anything: a queue no processor consumes. */
export function workerQueuesProblem(env: Pick<Env, 'workerQueues'>): string | null {
  const unknown = env.workerQueues.filter((queue) => !Object.hasOwn(PROCESSORS, queue));
  return unknown.length === 0 ? null : `WORKER_QUEUES names unknown queues: ${unknown.join(', ')} (known: ${Object.keys(PROCESSORS).join(', ')})`;
}

@Module({})
export class WorkerModule {
  static forRoot(env: Env, logger: Logger): DynamicModule {
    const problem = workerQueuesProblem(env);
    if (problem) throw new EnvValidationError([problem]);
    const queues = env.workerQueues.length > 0 ? (env.workerQueues as QueueName[]) : (Object.keys(PROCESSORS) as QueueName[]);
    return {
      module: WorkerModule,
      imports: [
        CommonModule.forRoot(env, logger),
        TypeOrmModule.forRoot({ ...createDataSourceOptions(env.databaseUrl!), autoLoadEntities: true }),
        ReportingModule,
        // Settling is not on a request path: a normal connection that waits out short outages.
        // A batch settles in one script call per 50 events; auto-pipelining sends those calls
        // (and the user lookups around them) in one write instead of one system call each.
        LimitsModule.forRoot({
          useFactory: () => {
            const redis = new Redis(env.redisUrl!, { connectionName: 'tollgate-worker-limits', enableAutoPipelining: true });
            redis.on('error', rateLimitedRedisErrorLogger((error) => logger.warn({ err: error }, 'redis connection error')));
            return new RedisLimitStore(redis);
          },
        }),
      ],
      providers: [
        WorkerProbeRedis,
        WorkerHealth,
        WorkerMetrics,
        {
          provide: QueuedEventsLossMonitor,
          inject: [WorkerProbeRedis, DataSource, WorkerMetrics],
          useFactory: (probe: WorkerProbeRedis, dataSource: DataSource, metrics: WorkerMetrics) =>
            new QueuedEventsLossMonitor({ redis: probe.redis, dataSource, queuePrefix: env.queuePrefix, logger, registry: metrics.registry, intervalMs: env.configResyncIntervalMs }),
        },
        ...queues.map((queue) => PROCESSORS[queue]),
      ],
    };
  }
}
