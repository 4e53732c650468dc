import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { Duplex } from 'node:stream';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { toProxyErrorBody } from '../proxy/error-style';
import { toAdminProblem } from './error-responses';
import { Surface } from './surface';

type ClientErrorListener = (error: Error & { code?: string }, socket: Duplex) => void;

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
    const body = JSON.stringify(surface === Surface.Admin ? toAdminProblem(refusal, '') : toProxyErrorBody(refusal, 'openai'));
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

function refusalOf(error: Error & { code?: string }): GatewayError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError(GatewayErrorCode.HeadersTooLarge, 'The request line and headers are larger than this gateway accepts.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError(GatewayErrorCode.RequestTimeout, 'The request was not received in time.');
    default:
      return new GatewayError(GatewayErrorCode.InvalidRequest, `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'}).`);
  }
}
