import { Get, Param, Post, Req, Res } from '@nestjs/common';
import { ProviderId } from '@tollgate/provider-settings';
import { FastifyReply, FastifyRequest } from 'fastify';
import { PassthroughService } from './passthrough.service';
import { ProxyController } from './proxy-controller.decorator';
import { ProxyService } from './proxy.service';
import { pathBelow } from '../http/send-error';

/** Azure OpenAI's deployment paths; the deployment is the model, `api-version` passes through. */
@ProxyController('api/providers/azure/openai/deployments/:deployment')
export class AzureNativeController {
  constructor(private readonly passthrough: PassthroughService) {}

  @Post('chat/completions')
  chat(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('deployment') deployment: string): Promise<void> {
    return this.forward(request, reply, deployment, 'chat/completions');
  }

  @Post('completions')
  completions(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('deployment') deployment: string): Promise<void> {
    return this.forward(request, reply, deployment, 'completions');
  }

  @Post('embeddings')
  embeddings(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('deployment') deployment: string): Promise<void> {
    return this.forward(request, reply, deployment, 'embeddings');
  }

  private forward(request: FastifyRequest, reply: FastifyReply, deployment: string, operation: string): Promise<void> {
    return this.passthrough.forward(
      { request, reply },
      { provider: ProviderId.Azure, dialect: 'openai', upstreamPath: `/openai/deployments/${encodeURIComponent(deployment)}/${operation}`, pathModel: deployment },
    );
  }
}

/**
 * Anthropic's Messages and legacy Complete APIs, token counting and the model list, for the
 * official Anthropic SDK with its baseURL set to /api/providers/anthropic: keys accepted as
 * x-api-key or Bearer, errors in Anthropic's shape, anthropic-version and anthropic-beta
 * forwarded unchanged. Counting tokens and listing models are free.
 */
@ProxyController('api/providers/anthropic/v1')
export class AnthropicNativeController {
  constructor(private readonly passthrough: PassthroughService) {}

  @Post('messages')
  messages(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forward(request, reply, '/v1/messages');
  }

  @Post('complete')
  complete(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forward(request, reply, '/v1/complete');
  }

  @Post('messages/count_tokens')
  countTokens(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forward(request, reply, '/v1/messages/count_tokens');
  }

  @Get('models')
  models(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forward(request, reply, '/v1/models');
  }

  @Get('models/:modelId')
  model(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forward(request, reply, pathBelow(request.url, ANTHROPIC_NATIVE_PREFIX));
  }

  /** Relays to Anthropic's own API at `upstreamPath` (from /v1), in its dialect. */
  private forward(request: FastifyRequest, reply: FastifyReply, upstreamPath: string): Promise<void> {
    return this.passthrough.forward({ request, reply }, { provider: ProviderId.Anthropic, dialect: 'anthropic', upstreamPath });
  }
}

const ANTHROPIC_NATIVE_PREFIX = '/api/providers/anthropic';

/**
 * vLLM's OpenAI-compatible server. Its model list too: vLLM's own client examples begin with
 * models.list() to learn the served model's name (relayed as is, free).
 */
@ProxyController('api/providers/vllm/v1')
export class VllmNativeController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly passthrough: PassthroughService,
  ) {}

  @Post('chat/completions')
  chat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.chat({ request, reply }, ProviderId.Vllm);
  }

  @Post('completions')
  completions(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.passthrough.forward({ request, reply }, { provider: ProviderId.Vllm, dialect: 'openai', upstreamPath: '/completions' });
  }

  @Post('embeddings')
  embeddings(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.embeddings({ request, reply }, ProviderId.Vllm);
  }

  @Get('models')
  models(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.passthrough.forward({ request, reply }, { provider: ProviderId.Vllm, dialect: 'openai', upstreamPath: '/models' });
  }
}

/** Deepinfra's OpenAI-compatible API, its model list included. */
@ProxyController('api/providers/deepinfra/v1')
export class DeepinfraNativeController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly passthrough: PassthroughService,
  ) {}

  @Post('chat/completions')
  chat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.chat({ request, reply }, ProviderId.Deepinfra);
  }

  @Post('completions')
  completions(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.passthrough.forward({ request, reply }, { provider: ProviderId.Deepinfra, dialect: 'openai', upstreamPath: '/completions' });
  }

  @Post('embeddings')
  embeddings(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.embeddings({ request, reply }, ProviderId.Deepinfra);
  }

  @Get('models')
  models(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.passthrough.forward({ request, reply }, { provider: ProviderId.Deepinfra, dialect: 'openai', upstreamPath: '/models' });
  }
}
