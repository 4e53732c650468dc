import { DynamicModule, Global, Module } from '@nestjs/common';
import { Logger } from 'pino';
import { ENV, Env } from './env';
import { LOGGER } from './logger';

/** Provides the validated environment and the root logger to every module of an app. */
@Global()
@Module({})
export class CommonModule {
  static forRoot(env: Env, logger: Logger): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: ENV, useValue: env },
        { provide: LOGGER, useValue: logger },
      ],
      exports: [ENV, LOGGER],
    };
  }
}
