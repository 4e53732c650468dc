import { IncomingMessage } from 'node:http';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';

/**
 * BricksLLM's clients send some GET requests with their fields as a JSON body (GET
 * /api/v2/events). Fastify never reads a GET body, so such a request lost all its filters. Routes
 * marked here read a JSON body on GET as their query (the same DTO validates both), and refuse a
 * request that sends both.
 */
const JSON_BODY_ON_GET = 'tollgateJsonBodyOnGet';

/** Marks a GET handler whose JSON body, when sent, stands for its query parameters. */
export function JsonBodyOnGet(): MethodDecorator {
  return (_target, _name, descriptor) => {
    const handler = descriptor.value as object;
    const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined) ?? {};
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, [JSON_BODY_ON_GET]: true }, handler);
    return descriptor;
  };
}

/**
 * Queries that came as a JSON body: validated with a JSON body's types (AdminValidationPipe), not
 * converted from text as a query string's values are.
 */
const queriesFromJsonBodies = new WeakSet<object>();

export function markQueryFromJsonBody(query: object): void {
  queriesFromJsonBodies.add(query);
}

export function isQueryFromJsonBody(query: unknown): boolean {
  return typeof query === 'object' && query !== null && queriesFromJsonBodies.has(query);
}

export function takesJsonBodyOnGet(config: unknown): boolean {
  return (config as Record<string, unknown> | undefined)?.[JSON_BODY_ON_GET] === true;
}

/** The whole body of a request Fastify leaves unread, refused (413) past `limitBytes`. */
export function readUnparsedBody(raw: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = () => new GatewayError(GatewayErrorCode.PayloadTooLarge, `the request body is larger than ${limitBytes} bytes`);
  if (Number(raw.headers['content-length'] ?? 0) > limitBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        raw.off('data', onData);
        raw.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    raw.on('data', onData);
    raw.once('end', () => resolve(Buffer.concat(chunks)));
    // The client left mid-body (ECONNRESET, "aborted"): its request, not a gateway fault. Its
    // answer goes nowhere; the 400 only keeps it out of the error log.
    const cutShort = () => reject(new GatewayError(GatewayErrorCode.InvalidRequest, 'the request body was not received in full: the client closed the connection'));
    raw.once('error', cutShort);
    raw.once('close', () => {
      if (!raw.complete) cutShort();
    });
  });
}
