import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProviderSettingsModule } from '@tollgate/provider-settings';
import { ApiKeyEntity } from './api-key.entity';
import { KeysService } from './keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), ProviderSettingsModule],
  providers: [KeysService],
  exports: [KeysService],
})
export class KeysModule {}
