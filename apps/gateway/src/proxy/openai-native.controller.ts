import { Controller, Get, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { OnSurface, Surface } from '../http/surface';
import { KeyAuthGuard } from './key-auth.guard';
import { ProxyOperation } from './proxy-body';
import { ProxyService } from './proxy.service';

/** OpenAI's own API under /api/providers/openai/v1, forwarded to the key's OpenAI setting. */
@ApiExcludeController()
@OnSurface(Surface.Proxy)
@UseGuards(KeyAuthGuard)
@Controller('api/providers/openai/v1')
export class OpenAINativeController {
  constructor(private readonly proxy: ProxyService) {}

  @Post('chat/completions')
  chat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle({ request, reply, operation: ProxyOperation.ChatCompletions, upstreamPath: '/chat/completions' });
  }

  @Post('embeddings')
  embeddings(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle({ request, reply, operation: ProxyOperation.Embeddings, upstreamPath: '/embeddings' });
  }

  @Post('moderations')
  moderations(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle({ request, reply, operation: ProxyOperation.Moderations, upstreamPath: '/moderations' });
  }

  @Get('models')
  models(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle({ request, reply, operation: ProxyOperation.ListModels, upstreamPath: '/models' });
  }

  @Get('models/:model')
  model(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('model') model: string): Promise<void> {
    return this.proxy.handle({
      request,
      reply,
      operation: ProxyOperation.RetrieveModel,
      upstreamPath: `/models/${encodeURIComponent(model)}`,
      pathModel: model,
    });
  }
}
