import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ENV, Env, GatewayError, GatewayErrorCode } from '@tollgate/common';
import { FastifyRequest } from 'fastify';

/**
 * Admin routes need `X-API-KEY: <ADMIN_API_KEY>`. Both sides are hashed to equal length and
 * compared in constant time, so response timing reveals nothing about the key.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(ENV) env: Env) {
    this.expected = digest(env.adminApiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    const presented = context.switchToHttp().getRequest<FastifyRequest>().headers['x-api-key'];
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), this.expected)) {
      throw new GatewayError(GatewayErrorCode.InvalidApiKey, 'a valid X-API-KEY header is required for the admin API');
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
