import { Module } from '@nestjs/common';
import { ConfigCacheModule } from '@tollgate/config-cache';
import { AccessPolicy } from './access-policy';
import { AdmissionService } from './admission.service';
import { KeyAuthGuard } from './key-auth.guard';
import { OpenAINativeController } from './openai-native.controller';
import { ProxyService } from './proxy.service';
import { RouteResolver } from './route-resolver';
import { UnifiedController } from './unified.controller';

@Module({
  imports: [ConfigCacheModule],
  controllers: [OpenAINativeController, UnifiedController],
  providers: [KeyAuthGuard, ProxyService, RouteResolver, AccessPolicy, AdmissionService],
})
export class ProxyModule {}
