import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomProviderRegistry } from './custom-provider-registry';
import { CustomProviderEntity } from './custom-provider.entity';
import { CustomProvidersService } from './custom-providers.service';

/** Custom providers: storage, validation and the in-memory registry. Needs CONFIG_CHANGE_BUS from the app. */
@Module({
  imports: [TypeOrmModule.forFeature([CustomProviderEntity])],
  providers: [CustomProvidersService, CustomProviderRegistry],
  exports: [CustomProvidersService, CustomProviderRegistry],
})
export class CustomProvidersModule {}
