import { ClientHeaders } from '../provider-adapter';

/**
 * A client header the gateway may pass upstream: its value (repeated headers joined with
 * commas, which is equivalent), or null when absent, empty, or named by the client's
 * `Connection` header, which makes it hop-by-hop, meant for the gateway alone (RFC 9110 §7.6.1).
 */
export function forwardedClientHeader(headers: ClientHeaders, name: string): string | null {
  const value = headerValue(headers, name);
  if (value === null) return null;
  const connection = headerValue(headers, 'connection');
  if (connection !== null && connection.split(',').some((token) => token.trim().toLowerCase() === name)) return null;
  return value;
}

function headerValue(headers: ClientHeaders, name: string): string | null {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const text = Array.isArray(value) ? value.join(',') : value;
    return text ? text : null;
  }
  return null;
}
