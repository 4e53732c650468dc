import { Module } from '@nestjs/common';
import { KeysModule } from '@tollgate/keys';
import { ProviderSettingsModule } from '@tollgate/provider-settings';
import { ReportingModule } from '@tollgate/reporting';
import { UsersModule } from '@tollgate/users';
import { EventsController } from './events/events.controller';
import { KeysController } from './keys/keys.controller';
import { ModelPricesController } from './model-prices/model-prices.controller';
import { ProviderSettingsController } from './provider-settings/provider-settings.controller';
import { ReportingController } from './reporting/reporting.controller';
import { UsersController } from './users/users.controller';

@Module({
  imports: [KeysModule, ProviderSettingsModule, ReportingModule, UsersModule],
  controllers: [ProviderSettingsController, KeysController, UsersController, EventsController, ReportingController, ModelPricesController],
})
export class AdminModule {}
