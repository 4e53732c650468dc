import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import './gateway-request';
import { KeyAuthenticator } from './key-authenticator';

/**
 * Admits a proxy request only with a valid gateway key. The key is normally found already, by
 * the onRequest hook before the body was read (configureFastify); the guard makes sure of it
 * whatever the route's hooks, and looks again in case it was revoked during a long upload.
 */
@Injectable()
export class KeyAuthGuard implements CanActivate {
  constructor(private readonly authenticator: KeyAuthenticator) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const found = request.gatewayKey;
    request.gatewayKey = found ? this.authenticator.current(found.keyId) : this.authenticator.authenticate(request.headers);
    return true;
  }
}
