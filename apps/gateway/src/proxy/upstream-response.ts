import { IncomingHttpHeaders } from 'node:http';

/** Upstream response headers worth passing to the client; the rest stay behind. */
const RELAYED_RESPONSE_HEADERS = ['content-type', 'openai-processing-ms', 'openai-version', 'retry-after', 'x-should-retry'];

export function relayedHeaders(upstream: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of RELAYED_RESPONSE_HEADERS) {
    const value = upstream[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const upstreamRequestId = upstream['x-request-id'];
  if (typeof upstreamRequestId === 'string') headers['x-upstream-request-id'] = upstreamRequestId;
  return headers;
}

export function isEventStream(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream');
}
