import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProviderSettingEntity } from './provider-setting.entity';
import { ProviderSettingsService } from './provider-settings.service';

@Module({
  imports: [TypeOrmModule.forFeature([ProviderSettingEntity])],
  providers: [ProviderSettingsService],
  exports: [ProviderSettingsService],
})
export class ProviderSettingsModule {}
