import { Global, Module } from '@nestjs/common';
import { ConfigCacheModule } from '@tollgate/config-cache';
import { CustomProvidersModule } from '@tollgate/custom-providers';
import { GatewayMetrics } from './gateway-metrics';
import { MetricsController } from './metrics.controller';

/** Global: the proxy pipeline and the HTTP hooks record into the one registry. */
@Global()
@Module({
  imports: [ConfigCacheModule, CustomProvidersModule],
  controllers: [MetricsController],
  providers: [GatewayMetrics],
  exports: [GatewayMetrics],
})
export class MetricsModule {}
