import { Get, Post, Req, Res } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ProxyController } from './proxy-controller.decorator';
import { ProxyService } from './proxy.service';

/**
 * The unified OpenAI-compatible API (base URL http://host:8002/v1): `provider/model` or a bare
 * model name picks the provider; its adapter translates to and from OpenAI's format.
 */
@ProxyController('v1')
export class UnifiedController {
  constructor(private readonly proxy: ProxyService) {}

  @Post('chat/completions')
  chat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.chat({ request, reply });
  }

  @Post('embeddings')
  embeddings(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.embeddings({ request, reply });
  }

  @Post('completions')
  completions(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.completions({ request, reply });
  }

  @Get('models')
  models(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.listModels({ request, reply });
  }
}
