import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CONFIG_CHANGES, CommonModule, Env, LOGGER, Logger, withTimeout } from '@tollgate/common';
import { CONFIG_CHANGE_BUS, LocalConfigChangeBus, RedisConfigChangeBus } from '@tollgate/config-cache';
import { createDataSourceOptions } from '@tollgate/database';
import { BatchingEventSink, DeliverBatch, EVENT_SINK, EventSink, QueueName, bullmqEventDelivery } from '@tollgate/queue';
import { bullmqConnectionOptions, createRequestPathRedis, createSubscriberRedis, rateLimitedRedisErrorLogger } from '@tollgate/redis';
import { EventSettlementService, LIMIT_STORE, LimitStore, LimitsModule, LimitsService, MemoryLimitStore, RedisLimitStore } from '@tollgate/limits';
import { ReportingModule } from '@tollgate/reporting';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { ExchangesInFlight } from './exchanges-in-flight';
import { ShutdownState } from './shutdown-state';
import { EVENTS_QUEUE, REQUEST_REDIS } from './tokens';

/**
 * Closes the clients at shutdown. The events still buffered were delivered before this runs
 * (EventFlushOnShutdown, in the root module, whose hooks Nest calls first).
 */
class InfrastructureLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EVENTS_QUEUE) private readonly queue: Queue | null,
    @Inject(REQUEST_REDIS) private readonly redis: Redis | null,
    @Inject(LIMIT_STORE) private readonly limitStore: LimitStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.queue) {
      // A graceful close waits on Redis; a frozen one (a failover at the wrong time) would hold
      // the pod in Terminating until SIGKILL, long after the event flush gave up.
      const queue = this.queue;
      // disconnect() waits for the connection's end, which a client still reconnecting with
      // commands queued (the last event flush's) never reaches: it is bounded too.
      await withTimeout(queue.close(), QUEUE_CLOSE_TIMEOUT_MS, 'queue close timed out').catch(() =>
        withTimeout(queue.disconnect(), QUEUE_CLOSE_TIMEOUT_MS, 'queue disconnect timed out').catch(() => undefined),
      );
    }
    await this.limitStore.close();
    this.redis?.disconnect();
  }
}

export const QUEUE_CLOSE_TIMEOUT_MS = 2_000;

/**
 * Wires the gateway to its backing services. Production: Postgres, Redis pub/sub for config
 * changes and BullMQ for events. Standalone: the same Postgres code path (embedded server),
 * an in-process bus, and events recorded in-process by the worker's recorder.
 */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(env: Env, logger: Logger): DynamicModule {
    const production = env.mode === 'production';
    return {
      module: InfrastructureModule,
      imports: [
        CommonModule.forRoot(env, logger),
        TypeOrmModule.forRoot({ ...createDataSourceOptions(env.databaseUrl!), autoLoadEntities: true }),
        ReportingModule,
        LimitsModule.forRoot({
          // The request-path connection: tight timeouts, so a Redis outage fails closed fast.
          useFactory: () => (production ? new RedisLimitStore(createRequestPathRedis(env.redisUrl!, 'tollgate-limits', redisErrorLogger(logger))) : new MemoryLimitStore()),
        }),
      ],
      providers: [
        {
          provide: REQUEST_REDIS,
          useFactory: () => (production ? createRequestPathRedis(env.redisUrl!, 'tollgate-gateway', redisErrorLogger(logger)) : null),
        },
        {
          provide: CONFIG_CHANGE_BUS,
          inject: [REQUEST_REDIS],
          useFactory: (redis: Redis | null) =>
            redis
              ? new RedisConfigChangeBus(redis, createSubscriberRedis(env.redisUrl!, 'tollgate-config-sub', redisErrorLogger(logger)), `${env.queuePrefix}:config-changes`, (error, change) =>
                  logger.warn({ err: error, change }, 'config change not broadcast; replicas catch up on resync'),
                )
              : new LocalConfigChangeBus(),
        },
        { provide: CONFIG_CHANGES, useExisting: CONFIG_CHANGE_BUS },
        {
          provide: EVENTS_QUEUE,
          useFactory: () =>
            production
              ? new Queue(QueueName.RequestEvents, { connection: bullmqConnectionOptions(env.redisUrl!), prefix: env.queuePrefix })
              : null,
        },
        {
          provide: EVENT_SINK,
          inject: [EVENTS_QUEUE, EventSettlementService, LimitsService, LOGGER],
          useFactory: (queue: Queue | null, settlement: EventSettlementService, limits: LimitsService, log: Logger) => {
            const sinkLog = log.child({ context: 'EventSink' });
            const deliver: DeliverBatch = queue ? queueAndHold(bullmqEventDelivery(queue), limits, sinkLog) : async (events) => void (await settlement.record(events));
            // What a Redis outage can pile up: 100,000 events, or 256 MiB of them (a logged body
            // is up to a million characters, two with its answer).
            return new BatchingEventSink(deliver, { maxBatch: env.eventBatchSize, flushIntervalMs: env.eventFlushIntervalMs, maxBuffered: 100_000, maxBufferedBytes: 256 * 1024 * 1024 }, sinkLog);
          },
        },
        InfrastructureLifecycle,
        ExchangesInFlight,
        ShutdownState,
      ],
      exports: [REQUEST_REDIS, CONFIG_CHANGE_BUS, CONFIG_CHANGES, EVENT_SINK, EVENTS_QUEUE, ExchangesInFlight, ShutdownState, ReportingModule, LimitsModule],
    };
  }
}

/** Connection errors are logged at most once per 10 s per connection. */
function redisErrorLogger(logger: Logger): (error: Error) => void {
  return rateLimitedRedisErrorLogger((error) => logger.warn({ err: error }, 'redis connection error'));
}

/**
 * Queues events for the worker, then holds their budget reservations until the worker settles
 * them: queued events are durable, so however long the worker is down, what they reserved keeps
 * counting. Failing to hold is logged, not retried (the events are queued; re-sending them would
 * not help): those reservations keep their admission TTL.
 */
function queueAndHold(toQueue: DeliverBatch, limits: LimitsService, logger: Logger): DeliverBatch {
  return async (events) => {
    await toQueue(events);
    await limits.holdUntilSettled(events).catch((error: unknown) => logger.warn({ err: error, events: events.length }, 'reservations of queued events not held; they expire at their admission TTL'));
  };
}
