import { Controller, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { OnSurface, Surface } from '../../http/surface';
import { KeyAuthGuard } from '../key-auth.guard';
import { CustomProviderProxyService } from './custom-provider-proxy.service';

/** POST /api/custom/providers/:provider/* on the proxy port, forwarded per the provider's route configs. */
@ApiExcludeController()
@OnSurface(Surface.Proxy)
@UseGuards(KeyAuthGuard)
@Controller('api/custom/providers')
export class CustomProviderController {
  constructor(private readonly proxy: CustomProviderProxyService) {}

  @Post(':provider/*')
  call(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle(request, reply);
  }
}
