import { Module } from '@nestjs/common';
import { ConfigCacheModule } from '@tollgate/config-cache';
import { KeyAuthGuard } from './key-auth.guard';
import { OpenAINativeController } from './openai-native.controller';
import { ProxyService } from './proxy.service';
import { UnifiedController } from './unified.controller';

@Module({
  imports: [ConfigCacheModule],
  controllers: [OpenAINativeController, UnifiedController],
  providers: [KeyAuthGuard, ProxyService],
})
export class ProxyModule {}
