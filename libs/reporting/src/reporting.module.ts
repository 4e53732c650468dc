import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventEntity } from './event.entity';
import { EventRecorderService } from './event-recorder.service';
import { EventReportsService } from './event-reports.service';
import { EventsQueryService } from './events-query.service';
import { ModelPriceEntity } from './model-price.entity';
import { ModelPricesService } from './model-prices.service';
import { REPORT_QUERIES, createReportQueriesLimit } from './report-queries';

@Module({
  imports: [TypeOrmModule.forFeature([EventEntity, ModelPriceEntity])],
  providers: [EventRecorderService, EventsQueryService, EventReportsService, ModelPricesService, { provide: REPORT_QUERIES, useFactory: createReportQueriesLimit }],
  exports: [EventRecorderService, EventsQueryService, EventReportsService, ModelPricesService],
})
export class ReportingModule {}
