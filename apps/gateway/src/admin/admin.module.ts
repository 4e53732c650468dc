import { Module } from '@nestjs/common';
import { KeysModule } from '@tollgate/keys';
import { ProviderSettingsModule } from '@tollgate/provider-settings';
import { ReportingModule } from '@tollgate/reporting';
import { EventsController } from './events/events.controller';
import { KeysController } from './keys/keys.controller';
import { ModelPricesController } from './model-prices/model-prices.controller';
import { ProviderSettingsController } from './provider-settings/provider-settings.controller';

@Module({
  imports: [KeysModule, ProviderSettingsModule, ReportingModule],
  controllers: [ProviderSettingsController, KeysController, EventsController, ModelPricesController],
})
export class AdminModule {}
