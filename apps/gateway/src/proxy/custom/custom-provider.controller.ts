import { Post, Req, Res } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ProxyController } from '../proxy-controller.decorator';
import { CustomProviderProxyService } from './custom-provider-proxy.service';

/** POST /api/custom/providers/:provider/* on the proxy port, forwarded per the provider's route configs. */
@ProxyController('api/custom/providers')
export class CustomProviderController {
  constructor(private readonly proxy: CustomProviderProxyService) {}

  @Post(':provider/*')
  call(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle(request, reply);
  }
}
