import { PROVIDER_IDS } from '@tollgate/provider-settings';
import { RouteConfigError } from './route-config';

/**
 * A custom provider's name is a URL path segment (/api/custom/providers/:provider/...) and the
 * event's `provider`: lower case, URL-safe, and never a built-in provider's id.
 */
export function normalizeProviderName(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9._-]{0,62})$/.test(name) || name.includes('..')) {
    throw new RouteConfigError('provider must be 1-63 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit', 'provider');
  }
  if ((PROVIDER_IDS as string[]).includes(name)) {
    throw new RouteConfigError(`provider "${name}" is a built-in provider's name; choose another`, 'provider');
  }
  return name;
}

/** Headers that carry framing or routing, which a credential must never replace. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'accept',
  'accept-encoding',
  'proxy-connection',
  'proxy-authorization',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
]);

/**
 * The header that carries the provider credential: empty means `Authorization: Bearer <key>`.
 * Any other value must be a plain header name (RFC 9110 token), lower-cased as BricksLLM does.
 */
export function normalizeAuthenticationParam(raw: string | null | undefined): string | null {
  const name = (raw ?? '').trim().toLowerCase();
  if (name === '') return null;
  if (name.length > 128 || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
    throw new RouteConfigError('authentication_param must be an HTTP header name (letters, digits and !#$%&\'*+.^_`|~-, no spaces)', 'authentication_param');
  }
  if (RESERVED_HEADERS.has(name)) {
    throw new RouteConfigError(`authentication_param cannot be "${name}": that header is set by the gateway`, 'authentication_param');
  }
  return name;
}

/**
 * The upstream credential header: `Authorization: Bearer <key>` by default (and when the param is
 * "authorization"), otherwise `<authentication_param>: <key>`. Never in the URL.
 */
export function toCredentialHeaders(authenticationParam: string | null, apiKey: string): Record<string, string> {
  if (authenticationParam === null || authenticationParam === 'authorization') return { authorization: `Bearer ${apiKey}` };
  return { [authenticationParam]: apiKey };
}
