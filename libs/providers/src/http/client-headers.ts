import { ClientHeaders } from '../provider-adapter';

/**
 * A client header the gateway may pass upstream: its value (repeated headers joined with
 * commas, which is equivalent), or null when absent, empty, or named by the client's
 * `Connection` header, which makes it hop-by-hop, meant for the gateway alone (RFC 9110 §7.6.1).
 * Names are looked up as Node gives them, in lower case.
 */
export function forwardedClientHeader(headers: ClientHeaders, name: string): string | null {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  if (!value) return null;
  const connection = headers.connection;
  return typeof connection === 'string' && namesHeader(connection, name) ? null : value;
}

/** Whether a Connection header's comma-separated tokens name `name` (any case, any spacing). */
function namesHeader(connection: string, name: string): boolean {
  // Nearly every request says only keep-alive or close: no need to split those.
  if (connection.length <= 'keep-alive'.length && !connection.includes(',')) return connection.trim().toLowerCase() === name;
  return connection.split(',').some((token) => token.trim().toLowerCase() === name);
}
