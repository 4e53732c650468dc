import { IncomingMessage } from 'node:http';
import { PATH_METADATA } from '@nestjs/common/constants';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { FastifyRequest } from 'fastify';

/**
 * The gateway listens on two ports from one process: the proxy and the admin API. Requests
 * accepted by the admin listener are marked, and every controller declares which surface it
 * belongs to, so admin routes are unreachable from the proxy port and vice versa.
 */
export enum Surface {
  Proxy = 'proxy',
  Admin = 'admin',
  Both = 'both',
}

const ADMIN_MARK = Symbol('tollgate.admin-surface');

export function markAdminRequest(request: IncomingMessage): void {
  (request as IncomingMessage & { [ADMIN_MARK]?: boolean })[ADMIN_MARK] = true;
}

export function surfaceOf(request: IncomingMessage): Surface.Proxy | Surface.Admin {
  return (request as IncomingMessage & { [ADMIN_MARK]?: boolean })[ADMIN_MARK] ? Surface.Admin : Surface.Proxy;
}

/** Where a route's surface is kept: its Fastify route config (Nest hands a handler's config to Fastify). */
const SURFACE_ROUTE_CONFIG = 'tollgateSurface';
/** Set on admin API routes, which need X-API-KEY (health, metrics and Swagger do not). */
const ADMIN_KEY_ROUTE_CONFIG = 'tollgateAdminKey';

export interface SurfaceOptions {
  /** The route needs the admin key (X-API-KEY). */
  adminKey?: boolean;
}

/**
 * Declares the surface of every route of a controller, in each handler's Fastify route config.
 * The onRequest hook (configureFastify) enforces it, before authentication and before the body
 * is read: a route asked for on the other listener is a 404 as if it did not exist there.
 * Class decorators run after the method decorators, so every handler carries its path here.
 */
export function OnSurface(surface: Surface, options: SurfaceOptions = {}): ClassDecorator {
  return (target) => {
    const prototype = target.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined) ?? {};
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, [SURFACE_ROUTE_CONFIG]: surface, [ADMIN_KEY_ROUTE_CONFIG]: options.adminKey === true }, handler);
    }
  };
}

/** The surface the matched route declared; undefined for routes outside controllers (no match, Swagger). */
export function declaredSurfaceOf(request: FastifyRequest): Surface | undefined {
  return routeConfigOf(request.routeOptions.config)?.[SURFACE_ROUTE_CONFIG] as Surface | undefined;
}

/** Whether a route (by its Fastify route config) needs the admin key. */
export function needsAdminKey(config: unknown): boolean {
  return routeConfigOf(config)?.[ADMIN_KEY_ROUTE_CONFIG] === true;
}

function routeConfigOf(config: unknown): Record<string, unknown> | undefined {
  return config as Record<string, unknown> | undefined;
}
