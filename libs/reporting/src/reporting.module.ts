import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventEntity } from './event.entity';
import { EventRecorderService } from './event-recorder.service';
import { EventsQueryService } from './events-query.service';
import { ModelPriceEntity } from './model-price.entity';
import { ModelPricesService } from './model-prices.service';

@Module({
  imports: [TypeOrmModule.forFeature([EventEntity, ModelPriceEntity])],
  providers: [EventRecorderService, EventsQueryService, ModelPricesService],
  exports: [EventRecorderService, EventsQueryService, ModelPricesService],
})
export class ReportingModule {}
