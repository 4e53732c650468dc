import { Module } from '@nestjs/common';
import { ConfigCacheModule } from '@tollgate/config-cache';
import { CustomProvidersModule } from '@tollgate/custom-providers';
import { KeysModule } from '@tollgate/keys';
import { AccessPolicy } from './access-policy';
import { AdmissionService } from './admission.service';
import { CustomProviderProxyService } from './custom/custom-provider-proxy.service';
import { CustomProviderController } from './custom/custom-provider.controller';
import { OutboundAllowListSetup } from './custom/outbound-allow-list.setup';
import { KeyAuthGuard } from './key-auth.guard';
import { KeyAuthenticator } from './key-authenticator';
import { OpenAINativeController } from './openai-native.controller';
import { PassthroughService } from './passthrough.service';
import { AnthropicNativeController, AzureNativeController, DeepinfraNativeController, VllmNativeController } from './provider-native.controllers';
import { ProxyPipeline } from './proxy-pipeline';
import { ProxyService } from './proxy.service';
import { RouteResolver } from './route-resolver';
import { UnifiedController } from './unified.controller';

@Module({
  imports: [ConfigCacheModule, CustomProvidersModule, KeysModule],
  controllers: [UnifiedController, OpenAINativeController, AzureNativeController, AnthropicNativeController, VllmNativeController, DeepinfraNativeController, CustomProviderController],
  providers: [KeyAuthenticator, KeyAuthGuard, ProxyPipeline, ProxyService, PassthroughService, RouteResolver, AccessPolicy, AdmissionService, OutboundAllowListSetup, CustomProviderProxyService],
})
export class ProxyModule {}
