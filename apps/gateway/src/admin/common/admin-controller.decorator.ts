import { Controller, UseGuards, applyDecorators } from '@nestjs/common';
import { ApiSecurity, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { OnSurface, Surface } from '../../http/surface';
import { AdminAuthGuard } from './admin-auth.guard';

/** An admin API controller: admin listener only, X-API-KEY required, documented in Swagger. */
export function AdminController(path: string, tag: string) {
  return applyDecorators(
    Controller(path),
    OnSurface(Surface.Admin),
    UseGuards(AdminAuthGuard),
    ApiTags(tag),
    ApiSecurity('admin-key'),
    ApiUnauthorizedResponse({ description: 'Missing or wrong X-API-KEY header' }),
  );
}
