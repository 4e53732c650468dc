import { CanActivate, ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { SURFACE_METADATA, Surface, surfaceOf } from './surface';

/** Answers 404 for a route asked for on the other listener, as if it did not exist there. */
@Injectable()
export class SurfaceGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const declared = this.reflector.getAllAndOverride<Surface | undefined>(SURFACE_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (declared === undefined || declared === Surface.Both) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (surfaceOf(request.raw) !== declared) throw new NotFoundException(`Cannot ${request.method} ${request.url}`);
    return true;
  }
}
