import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { Env, GatewayError, GatewayErrorCode, Logger } from '@tollgate/common';
import { ValidationError } from 'class-validator';
import { AdminModule } from './admin/admin.module';
import { HealthController } from './health/health.controller';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { SurfaceGuard } from './http/surface.guard';
import { ProxyModule } from './proxy/proxy.module';
import { InfrastructureModule } from './runtime/infrastructure.module';

@Module({})
export class GatewayModule {
  static forRoot(env: Env, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        InfrastructureModule.forRoot(env, logger),
        // Admin API requests per client IP and minute; guards a wrong admin key against brute force.
        // The default (unnamed) throttler answers with plain retry-after / x-ratelimit-* headers.
        ThrottlerModule.forRoot({ throttlers: [{ ttl: 60_000, limit: env.adminRateLimitPerMinute }] }),
        AdminModule,
        ProxyModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_GUARD, useClass: SurfaceGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            exceptionFactory: (errors) =>
              new GatewayError(GatewayErrorCode.InvalidRequest, flattenValidationErrors(errors).join('; '), errors[0]?.property ?? null),
          }),
        },
      ],
    };
  }
}

function flattenValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? `${path}${message.slice(error.property.length)}` : `${path}: ${message}`,
    );
    return [...own, ...flattenValidationErrors(error.children ?? [], path)];
  });
}
