import { DynamicModule, FactoryProvider, Module } from '@nestjs/common';
import { ReportingModule } from '@tollgate/reporting';
import { EventSettlementService } from './event-settlement.service';
import { LIMIT_STORE, LimitStore } from './limit-store';
import { LimitsService } from './limits.service';

@Module({})
export class LimitsModule {
  /** The app says where counters live: Redis (production) or memory (standalone). */
  static forRoot(store: Omit<FactoryProvider<LimitStore>, 'provide'>): DynamicModule {
    return {
      module: LimitsModule,
      imports: [ReportingModule],
      providers: [{ provide: LIMIT_STORE, ...store }, LimitsService, EventSettlementService],
      exports: [LIMIT_STORE, LimitsService, EventSettlementService],
    };
  }
}
