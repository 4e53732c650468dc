import { Module } from '@nestjs/common';
import { CustomProvidersModule } from '@tollgate/custom-providers';
import { KeysModule } from '@tollgate/keys';
import { ProviderSettingsModule } from '@tollgate/provider-settings';
import { ReportingModule } from '@tollgate/reporting';
import { UsersModule } from '@tollgate/users';
import { CustomProvidersController } from './custom-providers/custom-providers.controller';
import { EventsController, EventsV2Controller } from './events/events.controller';
import { KeysController } from './keys/keys.controller';
import { ModelPricesController } from './model-prices/model-prices.controller';
import { ProviderSettingsController } from './provider-settings/provider-settings.controller';
import { ReportingController } from './reporting/reporting.controller';
import { UsersController } from './users/users.controller';

@Module({
  imports: [KeysModule, ProviderSettingsModule, ReportingModule, UsersModule, CustomProvidersModule],
  controllers: [ProviderSettingsController, KeysController, UsersController, EventsController, EventsV2Controller, ReportingController, ModelPricesController, CustomProvidersController],
})
export class AdminModule {}
