import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { OnSurface, Surface } from '../http/surface';
import { GatewayMetrics } from './gateway-metrics';

/**
 * Prometheus scrape endpoint, on the admin listener only and without the admin key, like the
 * health probes: the admin port is meant to be private, and the metrics hold counts, never keys,
 * credentials or bodies.
 */
@ApiExcludeController()
@OnSurface(Surface.Admin)
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: GatewayMetrics) {}

  @Get()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.registry.metrics();
    void reply.header('content-type', this.metrics.registry.contentType).send(body);
  }
}
