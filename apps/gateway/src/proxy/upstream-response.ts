import { OpenAIErrorBody } from '@tollgate/common';
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

/**
 * An upstream error body as OpenAI's error shape: provider errors that already have it pass
 * through as they are; anything else (an HTML page from a proxy, plain text) is wrapped.
 */
export function toClientErrorBody(status: number, body: Buffer): { body: Buffer | OpenAIErrorBody; code: string } {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown; code?: unknown; type?: unknown } };
    if (parsed && typeof parsed.error === 'object' && parsed.error !== null && typeof parsed.error.message === 'string') {
      const code = typeof parsed.error.code === 'string' ? parsed.error.code : typeof parsed.error.type === 'string' ? parsed.error.type : `upstream_${status}`;
      return { body, code };
    }
  } catch {
    // not JSON: wrapped below
  }
  return {
    body: {
      error: {
        message: `The upstream provider answered ${status}${text.trim() ? `: ${text.trim().slice(0, 500)}` : ''}`,
        type: status >= 500 ? 'api_error' : 'invalid_request_error',
        param: null,
        code: `upstream_${status}`,
      },
    },
    code: `upstream_${status}`,
  };
}

export function isEventStream(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream');
}
