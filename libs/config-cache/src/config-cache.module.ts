import { Module } from '@nestjs/common';
import { KeysModule } from '@tollgate/keys';
import { ProviderSettingsModule } from '@tollgate/provider-settings';
import { UsersModule } from '@tollgate/users';
import { ConfigSnapshotService } from './config-snapshot.service';

/** The in-memory snapshot. Needs CONFIG_CHANGE_BUS from the app's infrastructure. */
@Module({
  imports: [KeysModule, ProviderSettingsModule, UsersModule],
  providers: [ConfigSnapshotService],
  exports: [ConfigSnapshotService],
})
export class ConfigCacheModule {}
