import { IncomingHttpHeaders } from 'node:http';

/**
 * Upstream response headers worth passing to the client; the rest stay behind. `request-id` is
 * Anthropic's (its SDK reads it as `_request_id`); OpenAI's x-request-id would clash with the
 * gateway's own and goes as x-upstream-request-id.
 */
const RELAYED_RESPONSE_HEADERS = ['content-type', 'openai-processing-ms', 'openai-version', 'retry-after', 'x-should-retry', 'request-id'];

export function relayedHeaders(upstream: IncomingHttpHeaders): Record<string, string> {
  const headers = pickHeaders(upstream, RELAYED_RESPONSE_HEADERS);
  const upstreamRequestId = upstream['x-request-id'];
  if (typeof upstreamRequestId === 'string') headers['x-upstream-request-id'] = upstreamRequestId;
  return headers;
}

/**
 * Headers of an upstream error worth the client's SDK, besides retry-after: the provider's request
 * id (Anthropic's `request-id`, which its SDK reports as the error's requestID); what says whether
 * to retry: the provider's own x-should-retry (SDKs obey it before the status) and retry-after-ms
 * (Azure's, finer than retry-after); and `false` on a 5xx the gateway made of a refusal that
 * retrying cannot fix (`madeByGateway`: the stored credential refused, the provider account out
 * of credit), which SDKs would otherwise retry as a server error.
 */
export function relayedErrorHeaders(upstream: IncomingHttpHeaders, madeByGateway: boolean): Record<string, string> {
  if (madeByGateway) return { ...pickHeaders(upstream, ['request-id']), 'x-should-retry': 'false' };
  return pickHeaders(upstream, ['request-id', 'x-should-retry', 'retry-after-ms']);
}

function pickHeaders(upstream: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = upstream[name];
    if (typeof value === 'string') headers[name] = value;
  }
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
