import { ResolvedProviderSetting } from '@tollgate/provider-settings';
import { forwardedClientHeader } from '../http/client-headers';
import { ClientHeaders, ProviderDefaults } from '../provider-adapter';

/** Where and how to reach Anthropic: URL and auth, kept apart from the payload translators. */

export function toAnthropicUrl(setting: ResolvedProviderSetting, defaults: Pick<ProviderDefaults, 'anthropicBaseUrl'>, path: string): string {
  // The base is the host root ("https://api.anthropic.com"); a base that already ends in /v1
  // is accepted too, so both spellings an admin might paste reach the same endpoint.
  const base = (setting.options.url ?? defaults.anthropicBaseUrl).replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${base}${path.startsWith('/') ? path : `/${path}`}`;
}

/**
 * Upstream headers: the stored credential as `x-api-key` (never the client's gateway key), the
 * client's `anthropic-version` when it pinned one (else the gateway default), and its
 * `anthropic-beta` flags. Nothing else from the client is forwarded.
 */
export function toAnthropicHeaders(
  setting: ResolvedProviderSetting,
  clientHeaders: ClientHeaders,
  defaults: Pick<ProviderDefaults, 'anthropicVersion'>,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    // Bodies are inspected for usage, so ask for them uncompressed.
    'accept-encoding': 'identity',
    'anthropic-version': forwardedClientHeader(clientHeaders, 'anthropic-version') ?? defaults.anthropicVersion,
  };
  const beta = forwardedClientHeader(clientHeaders, 'anthropic-beta');
  if (beta !== null) headers['anthropic-beta'] = beta;
  if (setting.credentials.apiKey) headers['x-api-key'] = setting.credentials.apiKey;
  return headers;
}

