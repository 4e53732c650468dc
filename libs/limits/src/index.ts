export { EventSettlementService } from './event-settlement.service';
export { LimitKeys, ScopeKind, reservationNano } from './limit-keys';
export { LIMIT_STORE, LimitStore } from './limit-store';
export { BUDGET_UNITS, BudgetUnit, RATE_WINDOW_SECONDS, budgetPeriod, toNanoUsd } from './limit-windows';
export { LimitsModule } from './limits.module';
export { Admission, LimitedScope, LimitsService, SettleInput, hasBudget, hasLimits, rateLimitHeaders } from './limits.service';
export { MemoryLimitStore } from './memory-limit-store';
export { RedisLimitStore } from './redis-limit-store';
export { OUTPUT_LIMIT_FIELDS, WorstCaseInput, asksForHourLongCache, audioOf, worstCaseCostUsd } from './worst-case-cost';
