import { Get, Post, Req, Res } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { decodeOrKeep } from '../http/decode';
import { pathOf } from '../http/send-error';
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

  /** Model ids may hold slashes (`anthropic/claude-…`, `vllm/org/model`), encoded or not. */
  @Get('models/*')
  model(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.retrieveModel({ request, reply }, decodeOrKeep(pathOf(request.url).slice(MODELS_PREFIX.length)));
  }
}

const MODELS_PREFIX = '/v1/models/';
