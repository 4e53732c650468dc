import { IncomingHttpHeaders } from 'node:http';

/**
 * Upstream response headers worth passing to the client; the rest stay behind. `request-id` is
 * Anthropic's (its SDK reads it as `_request_id`); OpenAI's x-request-id would clash with the
 * gateway's own and goes as x-upstream-request-id.
 */
const RELAYED_RESPONSE_HEADERS = ['content-type', 'openai-processing-ms', 'openai-version', 'retry-after', 'x-should-retry', 'request-id'];

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

/** The response's media type, lower-cased ('' when absent); a repeated header counts by its first value. */
function contentTypeOf(headers: IncomingHttpHeaders): string {
  const type = headers['content-type'];
  const first = Array.isArray(type) ? type[0] : type;
  return typeof first === 'string' ? first.trim().toLowerCase() : '';
}

export function isEventStream(headers: IncomingHttpHeaders): boolean {
  return contentTypeOf(headers).startsWith('text/event-stream');
}

/** JSON, or no type at all (read as JSON, as OpenAI-compatible servers mean it). */
export function isJsonOrUntyped(headers: IncomingHttpHeaders): boolean {
  const type = contentTypeOf(headers);
  return type === '' || type.includes('json');
}
