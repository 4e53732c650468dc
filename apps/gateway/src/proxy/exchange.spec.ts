import { createLogger } from '@tollgate/common';
import { KeyRecord } from '@tollgate/config-cache';
import { errors } from 'undici';
import Fastify from 'fastify';
import './gateway-request';
import { Exchange } from './exchange';

/** Answers one request through Exchange.fail with the given error, on a real Fastify request/reply. */
async function failWith(thrown: unknown, upstreamAnswered = false): Promise<{ status: number; body: { error: { code: string; message: string } }; logged: Array<{ msg: string; level: number }> }> {
  const lines: string[] = [];
  const logger = createLogger('info', 'exchange-spec', { write: (line: string) => void lines.push(line) });
  const app = Fastify();
  app.post('/v1/chat/completions', (request, reply) => {
    request.gatewayKey = { keyId: 'k', tags: [], shouldLogRequest: false, shouldLogResponse: false } as unknown as KeyRecord;
    const exchange = new Exchange({ request, reply }, null);
    exchange.upstreamAnswered = upstreamAnswered;
    exchange.fail(thrown, logger);
  });
  const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: {} });
  await app.close();
  return { status: response.statusCode, body: response.json(), logged: lines.map((line) => JSON.parse(line) as { msg: string; level: number }) };
}

describe('Exchange.fail', () => {
  it('answers a fault of the gateway itself 500 internal_error, and logs it', async () => {
    for (const fault of [new TypeError("Cannot read properties of undefined (reading 'x')"), new RangeError('Maximum call stack size exceeded'), 'a thrown string']) {
      const { status, body, logged } = await failWith(fault);
      expect({ status, code: body.error.code }).toEqual({ status: 500, code: 'internal_error' });
      // The client learns nothing of the gateway's insides.
      expect(body.error.message).not.toContain('reading');
      expect(logged).toEqual([expect.objectContaining({ msg: 'proxy failure', level: 50 })]);
    }
  });

  it('answers the same fault while reading an upstream answer 502, with a warning (a provider sent an odd shape)', async () => {
    const { status, body, logged } = await failWith(new TypeError("Cannot read properties of null (reading 'message')"), true);
    expect({ status, code: body.error.code }).toEqual({ status: 502, code: 'upstream_unreachable' });
    expect(logged).toEqual([expect.objectContaining({ msg: 'upstream answer could not be read', level: 40 })]);
  });

  it('answers a failed conversation with the upstream 502 (504 for its timeouts), without an error log', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    for (const [failure, status] of [
      [refused, 502],
      [new errors.SocketError('other side closed'), 502],
      [new errors.HeadersTimeoutError(), 504],
    ] as const) {
      const { status: answered, logged } = await failWith(failure);
      expect(answered).toBe(status);
      expect(logged).toEqual([]);
    }
  });
});
