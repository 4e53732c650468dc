import { All, Post, Req, Res } from '@nestjs/common';
import { ProviderId } from '@tollgate/provider-settings';
import { FastifyReply, FastifyRequest } from 'fastify';
import { pathBelow } from '../http/send-error';
import { PassthroughService } from './passthrough.service';
import { ProxyController } from './proxy-controller.decorator';
import { ProxyService } from './proxy.service';

const PREFIX = '/api/providers/openai/v1';

/**
 * OpenAI's own API under /api/providers/openai/v1. Chat and embeddings take the adapter path
 * (usage captured for streams); everything else — models, moderations, files, images, audio,
 * assistants, threads, runs — is relayed as is, multipart and binary included.
 */
@ProxyController('api/providers/openai/v1')
export class OpenAINativeController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly passthrough: PassthroughService,
  ) {}

  @Post('chat/completions')
  chat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.chat({ request, reply }, ProviderId.OpenAI);
  }

  @Post('embeddings')
  embeddings(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.embeddings({ request, reply }, ProviderId.OpenAI);
  }

  @All('*')
  other(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.passthrough.forward({ request, reply }, { provider: ProviderId.OpenAI, dialect: 'openai', upstreamPath: pathBelow(request.url, PREFIX) });
  }
}
