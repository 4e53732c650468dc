import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ENV, Env, GatewayError, GatewayErrorCode } from '@tollgate/common';
import { FastifyRequest } from 'fastify';
import { AdminKeyVerifier } from './admin-key';

/**
 * Admin routes need `X-API-KEY: <ADMIN_API_KEY>`. It runs after the throttler, so wrong keys
 * count against the caller. (A caller without the key never has its body read: see the
 * onRequest hook in configureFastify.)
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly verifier: AdminKeyVerifier;

  constructor(@Inject(ENV) env: Env) {
    this.verifier = new AdminKeyVerifier(env.adminApiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.verifier.verify(context.switchToHttp().getRequest<FastifyRequest>().headers['x-api-key'])) {
      throw new GatewayError(GatewayErrorCode.InvalidApiKey, 'a valid X-API-KEY header is required for the admin API');
    }
    return true;
  }
}
