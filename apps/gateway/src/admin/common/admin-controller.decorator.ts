import { Controller, UseGuards, applyDecorators } from '@nestjs/common';
import { ApiSecurity, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { OnSurface, Surface } from '../../http/surface';
import { AdminAuthGuard } from './admin-auth.guard';

/**
 * An admin API controller: admin listener only, throttled per client (before authentication,
 * so wrong keys count), X-API-KEY required, documented in Swagger.
 */
export function AdminController(path: string, tag: string) {
  return applyDecorators(
    Controller(path),
    OnSurface(Surface.Admin, { adminKey: true }),
    UseGuards(ThrottlerGuard, AdminAuthGuard),
    ApiTags(tag),
    ApiSecurity('admin-key'),
    ApiUnauthorizedResponse({ description: 'Missing or wrong X-API-KEY header' }),
    ApiTooManyRequestsResponse({ description: 'Too many admin requests from this client; see retry-after' }),
  );
}
