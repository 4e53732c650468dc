import { Injectable } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { AllowedPathRule, ConfigSnapshotService, KeyRecord, UserRecord, normalizePath } from '@tollgate/config-cache';
import { ResolvedRoute } from './route-resolver';

export interface AccessRequest {
  key: KeyRecord;
  method: string;
  path: string;
  /** The client's user id (OpenAI `user` field or x-user-id), if any. */
  userId: string | null;
  route: ResolvedRoute | null;
}

/**
 * Who may call what, checked before any upstream call: the key's and the user's allowed paths,
 * the setting's and the user's allowed models, and the user's own status.
 */
@Injectable()
export class AccessPolicy {
  constructor(private readonly snapshot: ConfigSnapshotService) {}

  /** Returns the user's record when the request names a known user. */
  check(request: AccessRequest): UserRecord | null {
    // Most keys and users list no paths: the request path is normalized only when one does.
    let normalized: string | null = null;
    const path = () => (normalized ??= normalizePath(request.path));
    assertPathAllowed(request.key.allowedPaths, path, request.method, 'key');
    const user = request.userId ? this.snapshot.getUser(request.userId) : null;
    if (user) {
      if (user.revoked) throw new GatewayError(GatewayErrorCode.UserBlocked, `User ${user.userId} has been revoked${user.revokedReason ? `: ${user.revokedReason}` : '.'}`);
      if (user.expiresAt !== null && user.expiresAt <= Date.now()) throw new GatewayError(GatewayErrorCode.UserBlocked, `User ${user.userId} has expired (its ttl has passed).`);
      if (user.keyIds.length > 0 && !user.keyIds.includes(request.key.keyId)) {
        throw new GatewayError(GatewayErrorCode.UserBlocked, `User ${user.userId} may not use this key.`);
      }
      assertPathAllowed(user.allowedPaths, path, request.method, 'user');
    }
    if (request.route) {
      assertModelAllowed(request.route.setting.allowedModels, request.route, 'provider setting');
      if (user) assertModelAllowed(user.allowedModels, request.route, 'user');
    }
    return user;
  }
}

function assertPathAllowed(allowed: AllowedPathRule[], path: () => string, method: string, owner: string): void {
  if (allowed.length === 0) return;
  const upperMethod = method.toUpperCase();
  const permitted = allowed.some((entry) => entry.path === path() && entry.method === upperMethod);
  if (!permitted) {
    throw new GatewayError(GatewayErrorCode.PathNotAllowed, `This ${owner} may not call ${upperMethod} ${path()}.`);
  }
}

/**
 * A list may name a model bare (`gpt-4o`) or in the form `GET /v1/models` lists and clients send
 * to pick a provider (`anthropic/claude-…`): the route holds the model without its prefix, so
 * compared bare only, a user allowed `anthropic/claude-…` was refused that very model.
 */
export function modelAllowed(allowed: string[], provider: string, model: string): boolean {
  return allowed.length === 0 || allowed.includes(model) || (model !== '' && allowed.includes(`${provider}/${model}`));
}

function assertModelAllowed(allowed: string[], route: ResolvedRoute, owner: string): void {
  const model = route.model;
  if (!modelAllowed(allowed, route.provider, model)) {
    const message =
      model === ''
        ? `This ${owner} allows only some models (${allowed.join(', ')}); name one in the request's model field (an operation whose model the gateway cannot read is refused).`
        : `The model '${model}' is not allowed for this ${owner}.`;
    throw new GatewayError(GatewayErrorCode.ModelNotAllowed, message, 'model');
  }
}
