import { Controller, UseGuards, UseInterceptors, applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { OnSurface, Surface } from '../../http/surface';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminProblemResponse } from './admin-problem.response';
import { UndeclaredQueryInterceptor } from './no-query';

/**
 * An admin API controller: admin listener only, throttled per client (before authentication,
 * so wrong keys count), X-API-KEY required, a query string only where the route reads one,
 * documented in Swagger.
 */
export function AdminController(path: string, tag: string) {
  return applyDecorators(
    Controller(path),
    OnSurface(Surface.Admin, { adminKey: true }),
    UseGuards(ThrottlerGuard, AdminAuthGuard),
    UseInterceptors(UndeclaredQueryInterceptor),
    ApiTags(tag),
    ApiSecurity('admin-key'),
    ApiBadRequestResponse({ type: AdminProblemResponse, description: 'A body, query or path parameter that is not valid (detail says which)' }),
    ApiUnauthorizedResponse({ type: AdminProblemResponse, description: 'Missing or wrong X-API-KEY header' }),
    ApiPayloadTooLargeResponse({ type: AdminProblemResponse, description: 'A body over 1 MiB' }),
    ApiUnsupportedMediaTypeResponse({ type: AdminProblemResponse, description: 'A body that is not application/json' }),
    ApiTooManyRequestsResponse({ type: AdminProblemResponse, description: 'Too many admin requests from this client; see retry-after' }),
  );
}

/** A route on one resource by id: the id described, and its 404. */
export function AdminResourceById(name: string, what: string) {
  return applyDecorators(
    ApiParam({ name, description: `Id (UUID) of the ${what}.`, format: 'uuid' }),
    ApiNotFoundResponse({ type: AdminProblemResponse, description: `No ${what} has this id` }),
  );
}
