import { Controller, UseGuards, applyDecorators } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { OnSurface, Surface } from '../http/surface';
import { KeyAuthGuard } from './key-auth.guard';

/**
 * A proxy controller: proxy listener only, gateway key required (checked before the body is
 * read by the onRequest hook, and again by KeyAuthGuard), outside the admin Swagger.
 */
export function ProxyController(path: string) {
  return applyDecorators(Controller(path), OnSurface(Surface.Proxy), UseGuards(KeyAuthGuard), ApiExcludeController());
}
