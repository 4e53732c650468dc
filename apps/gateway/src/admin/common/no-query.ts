import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';

/**
 * Refuses a query string on an admin route that reads none: a filter the route does not have
 * (`POST /api/v2/events?keyIds=x`, `GET /api/custom/providers?provider=x`) or a field sent in the
 * wrong place (`PATCH /api/key-management/keys/:id?revoked=true`) was silently ignored, answering
 * with everything or changing nothing. Routes that read a query declare it as a DTO, whose
 * whitelist refuses the parameters it does not have.
 */
@Injectable()
export class UndeclaredQueryInterceptor implements NestInterceptor {
  private readonly readsQuery = new WeakMap<object, boolean>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handler = context.getHandler();
    let reads = this.readsQuery.get(handler);
    if (reads === undefined) {
      reads = handlerReadsQuery(context.getClass(), handler.name);
      this.readsQuery.set(handler, reads);
    }
    if (!reads) {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      const name = [...new URLSearchParams(queryOf(request.url)).keys()][0];
      if (name !== undefined) {
        throw new GatewayError(GatewayErrorCode.InvalidRequest, `${request.method} ${request.routeOptions.url} takes no query parameters; got "${name}"`, name);
      }
    }
    return next.handle();
  }
}

/** Whether the handler has a @Query() parameter (Nest keeps them as "<param type>:<index>"). */
function handlerReadsQuery(controller: object, method: string): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, unknown>;
  return Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.QUERY));
}

function queryOf(url: string): string {
  const start = url.indexOf('?');
  return start === -1 ? '' : url.slice(start + 1);
}
