import { All, Get, Post, Req, Res } from '@nestjs/common';
import { ProviderId } from '@tollgate/provider-settings';
import { FastifyReply, FastifyRequest } from 'fastify';
import { decodeOrKeep } from '../http/decode';
import { pathBelow, pathOf } from '../http/send-error';
import { PassthroughService } from './passthrough.service';
import { ProxyController } from './proxy-controller.decorator';
import { ProxyService } from './proxy.service';

/**
 * The unified OpenAI-compatible API (base URL http://host:8002/v1): `provider/model` or a bare
 * model name picks the provider; its adapter translates to and from OpenAI's format. OpenAI's
 * other operations (the Responses API, files, images, audio, batches, ...) are relayed to the
 * key's OpenAI setting, as on /api/providers/openai/v1, so an OpenAI SDK pointed at /v1 can use
 * all of it.
 */
@ProxyController('v1')
export class UnifiedController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly passthrough: PassthroughService,
  ) {}

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

  @All('*')
  other(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.passthrough.forward({ request, reply }, { provider: ProviderId.OpenAI, dialect: 'openai', upstreamPath: pathBelow(request.url, UNIFIED_PREFIX), openAIOnly: true });
  }
}

const UNIFIED_PREFIX = '/v1';

const MODELS_PREFIX = '/v1/models/';
