import { Module } from '@nestjs/common';
import { ConfigCacheModule } from '@tollgate/config-cache';
import { AccessPolicy } from './access-policy';
import { AdmissionService } from './admission.service';
import { KeyAuthGuard } from './key-auth.guard';
import { OpenAINativeController } from './openai-native.controller';
import { PassthroughService } from './passthrough.service';
import { AnthropicNativeController, AzureNativeController, DeepinfraNativeController, VllmNativeController } from './provider-native.controllers';
import { ProxyPipeline } from './proxy-pipeline';
import { ProxyService } from './proxy.service';
import { RouteResolver } from './route-resolver';
import { UnifiedController } from './unified.controller';

@Module({
  imports: [ConfigCacheModule],
  controllers: [UnifiedController, OpenAINativeController, AzureNativeController, AnthropicNativeController, VllmNativeController, DeepinfraNativeController],
  providers: [KeyAuthGuard, ProxyPipeline, ProxyService, PassthroughService, RouteResolver, AccessPolicy, AdmissionService],
})
export class ProxyModule {}
