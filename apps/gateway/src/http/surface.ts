import { IncomingMessage } from 'node:http';
import { SetMetadata } from '@nestjs/common';

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

export const SURFACE_METADATA = 'tollgate:surface';
export const OnSurface = (surface: Surface) => SetMetadata(SURFACE_METADATA, surface);
