import { DynamicModule, FactoryProvider, Module } from '@nestjs/common';
import { ReportingModule } from '@tollgate/reporting';
import { EventSettlementService } from './event-settlement.service';
import { FailureCountingLimitStore } from './failure-counting-limit-store';
import { LIMIT_STORE, LimitStore } from './limit-store';
import { LimitStoreFailures } from './limit-store-failures';
import { LimitsService } from './limits.service';

/** The app's store, before its failures are counted. */
const UNCOUNTED_LIMIT_STORE = Symbol('UNCOUNTED_LIMIT_STORE');

@Module({})
export class LimitsModule {
  /**
   * The app says where counters live: Redis (production) or memory (standalone). Whichever it
   * is, its failures are counted for the app's metrics.
   */
  static forRoot(store: Omit<FactoryProvider<LimitStore>, 'provide'>): DynamicModule {
    return {
      module: LimitsModule,
      imports: [ReportingModule],
      providers: [
        { provide: UNCOUNTED_LIMIT_STORE, ...store },
        LimitStoreFailures,
        {
          provide: LIMIT_STORE,
          inject: [UNCOUNTED_LIMIT_STORE, LimitStoreFailures],
          useFactory: (uncounted: LimitStore, failures: LimitStoreFailures) => new FailureCountingLimitStore(uncounted, failures),
        },
        LimitsService,
        EventSettlementService,
      ],
      exports: [LIMIT_STORE, LimitStoreFailures, LimitsService, EventSettlementService],
    };
  }
}
