import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ENV, Env } from '@tollgate/common';
import { ProviderSettingsModule } from '@tollgate/provider-settings';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyHasher } from './key-hash';
import { KeyHashUpgrader } from './key-hash-upgrader';
import { KeysService } from './keys.service';

/** Only the gateway imports this module: the hasher needs ENCRYPTION_KEY, which the worker and migrations never get. */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), ProviderSettingsModule],
  providers: [KeysService, KeyHashUpgrader, { provide: ApiKeyHasher, inject: [ENV], useFactory: (env: Env) => new ApiKeyHasher(env.encryptionKey) }],
  exports: [KeysService, KeyHashUpgrader, ApiKeyHasher],
})
export class KeysModule {}
