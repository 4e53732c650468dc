import { Controller, UseGuards, applyDecorators } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { OnSurface, Surface } from '../http/surface';
import { KeyAuthGuard } from './key-auth.guard';

/** Fastify route config carried by every proxy route (Nest passes a handler's config to Fastify). */
const PROXY_ROUTE = 'tollgateProxyRoute';

/** A proxy controller: proxy listener only, gateway key required, outside the admin Swagger. */
export function ProxyController(path: string) {
  return applyDecorators(Controller(path), OnSurface(Surface.Proxy), UseGuards(KeyAuthGuard), ApiExcludeController(), MarkProxyRoutes());
}

/** Whether Fastify matched the request to a proxy route (the hooks run before Nest knows). */
export function isProxyRoute(request: FastifyRequest): boolean {
  return (request.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[PROXY_ROUTE] === true;
}

/**
 * Marks each route handler of the class in its Fastify route config. Class decorators run after
 * the method decorators, so every handler already carries its route path here.
 */
function MarkProxyRoutes(): ClassDecorator {
  return (target) => {
    const prototype = target.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined) ?? {};
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, [PROXY_ROUTE]: true }, handler);
    }
  };
}
