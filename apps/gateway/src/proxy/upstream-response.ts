import { IncomingHttpHeaders } from 'node:http';
import { GATEWAY_ERROR_SPECS, GatewayError, GatewayErrorCode, firstHeader } from '@tollgate/common';
import { isRetryable, shouldRetryHeader } from '@tollgate/providers';
import { Dispatcher } from 'undici';

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
 * id (Anthropic's `request-id`, which its SDK reports as the error's requestID), retry-after-ms
 * (Azure's, finer than retry-after), and x-should-retry, which SDKs obey before the status: the
 * gateway never retries, so this is where it decides whether the client does (see
 * shouldRetryHeader). It says `false` on what a retry cannot fix that the status alone would have
 * retried: a refused stored credential the gateway answers as a 5xx, an account out of credit
 * (a 429), a wait past a minute; and relays the provider's own advice otherwise.
 */
export function relayedErrorHeaders(upstream: IncomingHttpHeaders, error: { status: number; retryable: boolean; retryAfter: string | null }): Record<string, string> {
  const headers = pickHeaders(upstream, ['request-id', 'retry-after-ms']);
  const shouldRetry = shouldRetryHeader(error.status, error.retryable, upstream, error.retryAfter);
  if (shouldRetry !== null) headers['x-should-retry'] = shouldRetry;
  return headers;
}

/**
 * The retry advice of an upstream error whose body is not read (larger than
 * UPSTREAM_MAX_RESPONSE_BYTES), for the 502 that answers it instead: the upstream's retry-after
 * and x-should-retry, which the client's SDK decides by, and without the latter, whether the
 * upstream's own status was worth a retry (a 400 is not, though the 502 would be retried).
 */
export function unreadErrorHeaders(upstream: IncomingHttpHeaders, upstreamStatus: number): Record<string, string> {
  const retryAfter = firstHeader(upstream['retry-after']) ?? null;
  const status = GATEWAY_ERROR_SPECS[GatewayErrorCode.UpstreamUnreachable].status;
  const headers = relayedErrorHeaders(upstream, { status, retryable: isRetryable(upstreamStatus, upstream), retryAfter });
  if (retryAfter !== null) headers['retry-after'] = retryAfter;
  return headers;
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

/**
 * Reads a whole upstream answer, refusing one past `maxBytes` (UPSTREAM_MAX_RESPONSE_BYTES): a
 * misbehaving upstream answering hundreds of megabytes was buffered whole, then decoded, parsed
 * and serialized again, several copies of it at once (one 400 MB answer took the gateway past
 * 1.8 GB, three at once past 3.7 GB). Past the bound the upstream connection is cut: the answer
 * is a 502 (with `headers`: see unreadErrorHeaders), and the operator's log says why. Streams
 * and binary answers are relayed as they come and never read whole.
 */
export function readWholeBody(upstream: Dispatcher.ResponseData, maxBytes: number, headers: Record<string, string> = {}): Promise<Buffer> {
  const body = upstream.body;
  const tooLarge = (): GatewayError =>
    new GatewayError(GatewayErrorCode.UpstreamUnreachable, "the upstream provider's answer is larger than the gateway accepts", null, headers).withLogDetail(
      `the upstream answer is larger than UPSTREAM_MAX_RESPONSE_BYTES (${maxBytes} bytes)`,
    );
  const declared = Number(firstHeader(upstream.headers['content-length']));
  if (declared > maxBytes) {
    body.destroy();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length <= maxBytes) return void chunks.push(chunk);
      body.off('data', onData).off('end', onEnd);
      chunks.length = 0;
      body.destroy();
      reject(tooLarge());
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks, length));
    body.on('data', onData).once('end', onEnd).once('error', reject);
  });
}
