import { CompiledRoute, RouteConfig, compileRoute } from './route-config';

/** The proxy's view of a custom provider: plain data, compiled once per change. */
export interface CustomProviderRecord {
  id: string;
  name: string;
  authenticationParam: string | null;
  /** By path, for an exact-match lookup per request. */
  routes: ReadonlyMap<string, CompiledRoute>;
}

export interface CustomProviderData {
  id: string;
  provider: string;
  authenticationParam: string | null;
  routeConfigs: RouteConfig[];
}

/**
 * Compiles a stored provider. Stored configs were validated when saved; a route that no longer
 * compiles is left out (and reported), so one bad row never takes the others down.
 */
export function toCustomProviderRecord(data: CustomProviderData): { record: CustomProviderRecord; skipped: string[] } {
  const routes = new Map<string, CompiledRoute>();
  const skipped: string[] = [];
  for (const config of data.routeConfigs) {
    try {
      routes.set(config.path, compileRoute(config));
    } catch {
      skipped.push(config.path);
    }
  }
  return { record: { id: data.id, name: data.provider, authenticationParam: data.authenticationParam, routes }, skipped };
}

/**
 * The route a request path selects: the part after /api/custom/providers/:provider, query
 * removed, compared exactly with each route's `path` (a single trailing slash is tolerated).
 * Nothing in the request can pick a target other than a configured route's target_url.
 */
export function matchRoute(record: CustomProviderRecord, requestPath: string): CompiledRoute | null {
  const query = requestPath.indexOf('?');
  const path = query === -1 ? requestPath : requestPath.slice(0, query);
  const exact = record.routes.get(path);
  if (exact) return exact;
  if (path.length > 1 && path.endsWith('/')) return record.routes.get(path.slice(0, -1)) ?? null;
  return null;
}
