import { ResolvedProviderSetting } from '@tollgate/provider-settings';

/** Client headers worth passing on; everything else (cookies, org/project, hop-by-hop) stays here. */
const FORWARDED_CLIENT_HEADERS = ['accept', 'content-type', 'user-agent', 'openai-beta'];

export function toOpenAIUrl(setting: ResolvedProviderSetting, defaultBaseUrl: string, path: string): string {
  const base = (setting.options.url ?? defaultBaseUrl).replace(/\/+$/, '');
  return `${base}${path.startsWith('/') ? path : `/${path}`}`;
}

/**
 * Upstream headers: the allow-listed client headers plus the provider credential, which
 * replaces whatever the client sent. The client's gateway key never leaves the gateway.
 */
export function toOpenAIHeaders(
  setting: ResolvedProviderSetting,
  clientHeaders: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_CLIENT_HEADERS) {
    const value = clientHeaders[name];
    if (typeof value === 'string') headers[name] = value;
  }
  // Bodies are inspected for usage, so ask for them uncompressed.
  headers['accept-encoding'] = 'identity';
  if (setting.credentials.apiKey) headers.authorization = `Bearer ${setting.credentials.apiKey}`;
  return headers;
}

export interface PreparedChatBody {
  body: Record<string, unknown>;
  /** Whether the client itself asked for the final usage chunk (if not, the relay strips it). */
  clientWantsUsage: boolean;
}

/**
 * For streams, asks OpenAI for the usage chunk so every streamed request can be priced,
 * and remembers whether the client wanted it. Other fields pass through untouched.
 */
export function toOpenAIChatBody(body: Record<string, unknown>): PreparedChatBody {
  if (body.stream !== true) return { body, clientWantsUsage: false };
  const options = (body.stream_options && typeof body.stream_options === 'object' ? body.stream_options : {}) as Record<string, unknown>;
  const clientWantsUsage = options.include_usage === true;
  return {
    body: clientWantsUsage ? body : { ...body, stream_options: { ...options, include_usage: true } },
    clientWantsUsage,
  };
}
