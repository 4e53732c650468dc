export { CostCalculator, CostResult, PriceOverride } from './cost-calculator';
export { EventEntity } from './event.entity';
export { EventRecorderService } from './event-recorder.service';
export { EventQuery, EventsQueryService } from './events-query.service';
export { ModelPriceEntity } from './model-price.entity';
export { ModelPricesService } from './model-prices.service';
export { ReportingModule } from './reporting.module';
export { mediaTokensOf, promptEstimationInputOf, promptTextOf, structuredPromptOf, tokenIdCountOf } from './prompt-parts';
export { estimateTokens } from './token-estimator';
