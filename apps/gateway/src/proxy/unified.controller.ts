import { Controller, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { OnSurface, Surface } from '../http/surface';
import { KeyAuthGuard } from './key-auth.guard';
import { ProxyOperation } from './proxy-body';
import { ProxyService } from './proxy.service';

/**
 * The unified OpenAI-compatible API (base URL http://host:8002/v1). Today every model goes
 * to OpenAI; provider routing by `provider/model` names plugs in at ProxyService's setting
 * selection without changing these routes.
 */
@ApiExcludeController()
@OnSurface(Surface.Proxy)
@UseGuards(KeyAuthGuard)
@Controller('v1')
export class UnifiedController {
  constructor(private readonly proxy: ProxyService) {}

  @Post('chat/completions')
  chat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle({ request, reply, operation: ProxyOperation.ChatCompletions, upstreamPath: '/chat/completions' });
  }

  @Post('embeddings')
  embeddings(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle({ request, reply, operation: ProxyOperation.Embeddings, upstreamPath: '/embeddings' });
  }

  @Get('models')
  models(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle({ request, reply, operation: ProxyOperation.ListModels, upstreamPath: '/models' });
  }
}
