import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { Duplex } from 'node:stream';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ErrorStyle, errorStyleOf, toProxyErrorBody } from '../proxy/error-style';
import { toAdminProblem } from './error-responses';
import { originFormOf } from './send-error';
import { Surface } from './surface';

type ClientError = Error & { code?: string };
type ClientErrorListener = (error: ClientError, socket: Duplex) => void;

/**
 * Answers what Node's HTTP parser refuses before there is a request to route: headers over its
 * size limit, a malformed header line, Content-Length together with Transfer-Encoding, a client
 * too slow to send its headers. Node's and Fastify's default answers are in neither listener's
 * error shape and carry no request id; this one is in the listener's shape, with an id, and
 * then closes the connection as they do (the request's framing cannot be trusted).
 */
export function clientErrorResponder(surface: Surface.Proxy | Surface.Admin): ClientErrorListener {
  return (error, socket) => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const refusal = refusalOf(error);
    const body = JSON.stringify(surface === Surface.Admin ? toAdminProblem(refusal, '') : toProxyErrorBody(refusal, styleOfRefused(error)));
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
          `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `x-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}

/**
 * The error shape of the path the refused request line named, when Node kept its bytes (the
 * Anthropic SDK reads only Anthropic's shape); OpenAI's when it did not.
 */
function styleOfRefused(error: ClientError): ErrorStyle {
  // Node's parse errors carry the bytes it could not parse (the request's first ones, here).
  const raw = (error as { rawPacket?: unknown }).rawPacket;
  const line = Buffer.isBuffer(raw) ? raw.toString('latin1', 0, Math.min(raw.length, 4_096)) : undefined;
  const target = line === undefined ? undefined : /^[A-Z]+ (\S+) HTTP\//.exec(line)?.[1];
  return target === undefined ? 'openai' : errorStyleOf(originFormOf(target));
}

function refusalOf(error: ClientError): GatewayError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError(GatewayErrorCode.HeadersTooLarge, 'The request line and headers are larger than this gateway accepts.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError(GatewayErrorCode.RequestTimeout, 'The request was not received in time.');
    default:
      return new GatewayError(GatewayErrorCode.InvalidRequest, `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'}).`);
  }
}
