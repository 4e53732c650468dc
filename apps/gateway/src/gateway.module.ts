import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { Env, GatewayError, GatewayErrorCode, Logger } from '@tollgate/common';
import { ConfigCacheModule } from '@tollgate/config-cache';
import { QueuedEventsLossMonitor } from '@tollgate/queue';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { AdminModule } from './admin/admin.module';
import { RedisThrottlerStorage } from './admin/common/redis-throttler-storage';
import { HealthController } from './health/health.controller';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { MetricsModule } from './metrics/metrics.module';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { AdminValidationPipe } from './http/admin-validation.pipe';
import { ProxyModule } from './proxy/proxy.module';
import { EventFlushOnShutdown } from './runtime/event-flush-on-shutdown';
import { InfrastructureModule } from './runtime/infrastructure.module';
import { REQUEST_REDIS } from './runtime/tokens';
import { StorableInputPipe } from './http/storable-input.pipe';
import { ObjectBodyPipe } from './http/object-body.pipe';

@Module({})
export class GatewayModule {
  static forRoot(env: Env, logger: Logger): DynamicModule {
    const infrastructure = InfrastructureModule.forRoot(env, logger);
    return {
      module: GatewayModule,
      imports: [
        infrastructure,
        // Admin API requests per client IP and minute; guards a wrong admin key against brute force.
        // The default (unnamed) throttler answers with plain retry-after / x-ratelimit-* headers.
        // Counted in Redis (for all replicas together); in memory in standalone mode.
        ThrottlerModule.forRootAsync({
          imports: [infrastructure],
          inject: [REQUEST_REDIS],
          useFactory: (redis: Redis | null) => ({
            throttlers: [{ ttl: 60_000, limit: env.adminRateLimitPerMinute }],
            // One count per client for the whole admin API. The default key adds the controller
            // and the handler: a client then had the limit on each of the ~30 routes, and as many
            // times the wrong-key guesses the limit is there to stop.
            generateKey: (_context, tracker, throttler) => `admin-${throttler}-${tracker}`,
            errorMessage: `Too many admin API requests from this client (at most ${env.adminRateLimitPerMinute} a minute): retry after the time in retry-after.`,
            storage: redis ? new RedisThrottlerStorage(redis, env.queuePrefix, logger.child({ context: 'AdminThrottle' })) : undefined,
          }),
        }),
        MetricsModule,
        AdminModule,
        ProxyModule,
        // The readiness probe reads the key snapshot's state.
        ConfigCacheModule,
      ],
      controllers: [HealthController],
      providers: [
        // Reports a Redis that lost the queued events (production mode; standalone has no Redis).
        {
          provide: QueuedEventsLossMonitor,
          inject: [REQUEST_REDIS, DataSource, GatewayMetrics],
          useFactory: (redis: Redis | null, dataSource: DataSource, metrics: GatewayMetrics) =>
            new QueuedEventsLossMonitor({ redis, dataSource, queuePrefix: env.queuePrefix, logger, registry: metrics.registry, intervalMs: env.configResyncIntervalMs }),
        },
        // Here, not in InfrastructureModule: see its comment (root module hooks run first).
        EventFlushOnShutdown,
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        // Before validation (global pipes run in this order): text that cannot be stored as sent
        // (NUL, lone surrogates) is refused whatever the field, as are fields the whitelist misses.
        { provide: APP_PIPE, useClass: StorableInputPipe },
        { provide: APP_PIPE, useClass: ObjectBodyPipe },
        { provide: APP_PIPE, useClass: AdminValidationPipe },
      ],
    };
  }
}
