import { GatewayError, GatewayErrorCode, createLogger } from '@tollgate/common';
import { KeyRecord } from '@tollgate/config-cache';
import { errors } from 'undici';
import Fastify from 'fastify';
import { runInNewContext } from 'node:vm';
import './gateway-request';
import { Exchange } from './exchange';

/** Answers one request through Exchange.fail with the given error, on a real Fastify request/reply. */
async function failWith(thrown: unknown, upstreamAnswered = false, settingId: string | null = null): Promise<{ status: number; body: { error: { code: string; message: string } }; logged: Array<{ msg: string; level: number }> }> {
  const lines: string[] = [];
  const logger = createLogger('info', 'exchange-spec', { write: (line: string) => void lines.push(line) });
  const app = Fastify();
  app.post('/v1/chat/completions', (request, reply) => {
    request.gatewayKey = { keyId: 'k', tags: [], shouldLogRequest: false, shouldLogResponse: false } as unknown as KeyRecord;
    const exchange = new Exchange({ request, reply }, null);
    exchange.upstreamStatus = upstreamAnswered ? 200 : null;
    exchange.settingId = settingId;
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
    expect(logged).toEqual([expect.objectContaining({ msg: 'upstream answer could not be read', level: 40, occurrences: 1 })]);
    // A provider that answers so does it for every request: not a warning each.
    const again = await failWith(new TypeError("Cannot read properties of null (reading 'message')"), true);
    expect(again.status).toBe(502);
    expect(again.logged).toEqual([]);
    // Per provider setting: one provider's storm does not hide another's first line.
    expect((await failWith(new TypeError('odd shape'), true, 'setting-a')).logged).toEqual([expect.objectContaining({ msg: 'upstream answer could not be read', occurrences: 1 })]);
    expect((await failWith(new TypeError('odd shape'), true, 'setting-b')).logged).toEqual([expect.objectContaining({ msg: 'upstream answer could not be read', occurrences: 1 })]);
    expect((await failWith(new TypeError('odd shape'), true, 'setting-a')).logged).toEqual([]);
  });

  it('answers a failed conversation with the upstream 502 (504 for its timeouts), without an error log', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    for (const [failure, status] of [
      [refused, 502],
      [new errors.SocketError('other side closed'), 502],
      [new errors.HeadersTimeoutError(), 504],
      // The total timeout's reason, made in another realm (as AbortSignal.timeout's is under a test runner).
      [runInNewContext("new DOMException('The operation was aborted due to timeout', 'TimeoutError')", { DOMException }), 504],
    ] as const) {
      const { status: answered, logged } = await failWith(failure);
      expect(answered).toBe(status);
      expect(logged).toEqual([]);
    }
  });
});

describe('Exchange.toEvent: estimating a prompt whose usage never came', () => {
  /** The event of a chat request that went as `shape` says, built on a real Fastify request/reply. */
  async function eventAfter(shape: (exchange: Exchange) => void): Promise<ReturnType<Exchange['toEvent']>> {
    const logger = createLogger('silent', 'exchange-spec');
    const app = Fastify();
    let event: ReturnType<Exchange['toEvent']> | null = null;
    app.post('/v1/chat/completions', (request, reply) => {
      request.gatewayKey = { keyId: 'k', tags: [], shouldLogRequest: false, shouldLogResponse: false } as unknown as KeyRecord;
      const exchange = new Exchange({ request, reply }, request.body as Record<string, unknown>);
      exchange.tokenBilled = true;
      shape(exchange);
      if (exchange.status >= 400 && !reply.sent) exchange.fail(new GatewayError(GatewayErrorCode.UpstreamUnreachable, 'x'), logger);
      event = exchange.toEvent();
      if (!reply.sent) void reply.send({});
    });
    await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }] } });
    await app.close();
    return event!;
  }

  const sent = (exchange: Exchange, upstreamStatus: number | null) => {
    exchange.requestSent = true;
    exchange.upstreamStatus = upstreamStatus;
  };

  it('estimates what the provider may have billed: a success, a request sent and never answered, a 2xx answer that broke off', async () => {
    const cases: Array<[string, (exchange: Exchange) => void]> = [
      ['answered 200', (exchange) => sent(exchange, 200)],
      ['client left after the call', (exchange) => {
        sent(exchange, null);
        exchange.clientGone = true;
        exchange.status = 502;
      }],
      ['no answer before the first-byte or total timeout', (exchange) => {
        sent(exchange, null);
        exchange.status = 504;
      }],
      ['the connection dropped before the answer', (exchange) => {
        sent(exchange, null);
        exchange.status = 502;
      }],
      ['a 200 whose body broke off', (exchange) => {
        sent(exchange, 200);
        exchange.status = 502;
      }],
    ];
    for (const [name, shape] of cases) {
      const event = await eventAfter(shape);
      expect([name, event.estimationInput?.prompt]).toEqual([name, 'Hello there']);
    }
  });

  it('charges nothing for what never reached the provider or that it refused', async () => {
    const cases: Array<[string, (exchange: Exchange) => void]> = [
      ['client left during admission', (exchange) => {
        exchange.clientGone = true;
        exchange.status = 502;
      }],
      ['refused before the call', (exchange) => {
        exchange.status = 429;
      }],
      ['the upstream answered 400', (exchange) => {
        sent(exchange, 400);
        exchange.status = 400;
      }],
      ['the upstream answered 500', (exchange) => {
        sent(exchange, 500);
        exchange.status = 500;
      }],
      ['the client left while the upstream\'s error was read', (exchange) => {
        sent(exchange, 429);
        exchange.clientGone = true;
        exchange.status = 502;
      }],
      ['the connection was refused (nothing sent)', (exchange) => {
        exchange.status = 502;
      }],
      ['the client left before a connection was ready (nothing sent)', (exchange) => {
        exchange.clientGone = true;
        exchange.status = 502;
      }],
      ['timed out connecting (nothing sent)', (exchange) => {
        exchange.status = 504;
      }],
      ['a 200 whose body is an error, answered as one', (exchange) => {
        sent(exchange, 200);
        exchange.answeredWithError = true;
        exchange.status = 502;
      }],
      ['a 200 whose body is an error, relayed as it came (a native path)', (exchange) => {
        sent(exchange, 200);
        exchange.answeredWithError = true;
        exchange.status = 200;
      }],
    ];
    for (const [name, shape] of cases) {
      const event = await eventAfter(shape);
      expect([name, event.estimationInput]).toEqual([name, null]);
    }
  });
});

describe('Exchange.toEvent: an operation billed otherwise (images, audio)', () => {
  async function eventAfter(shape: (exchange: Exchange) => void): Promise<ReturnType<Exchange['toEvent']>> {
    const app = Fastify();
    let event: ReturnType<Exchange['toEvent']> | null = null;
    app.post('/v1/images/generations', (request, reply) => {
      request.gatewayKey = { keyId: 'k', tags: [], shouldLogRequest: false, shouldLogResponse: false } as unknown as KeyRecord;
      const exchange = new Exchange({ request, reply }, request.body as Record<string, unknown>);
      exchange.billedOtherwise = true;
      exchange.requestSent = true;
      exchange.upstreamStatus = 200;
      exchange.status = 200;
      shape(exchange);
      event = exchange.toEvent();
      void reply.send({});
    });
    await app.inject({ method: 'POST', url: '/v1/images/generations', payload: { model: 'dall-e-3', prompt: 'a cat' } });
    await app.close();
    return event!;
  }

  it('is unpriced when it succeeded, not when its 200 was an error relayed as it came (nothing was made)', async () => {
    expect((await eventAfter(() => undefined)).unpriced).toBe(true);
    expect((await eventAfter((exchange) => (exchange.answeredWithError = true))).unpriced).toBe(false);
  });
});

describe('Exchange.toEvent', () => {
  /** The event of one request with these headers and body, built on a real Fastify request. */
  async function eventOf(headers: Record<string, string>, body: Record<string, unknown>, model?: unknown): Promise<ReturnType<Exchange['toEvent']>> {
    const app = Fastify();
    let event: ReturnType<Exchange['toEvent']> | null = null;
    app.post('/v1/chat/completions', (request, reply) => {
      request.gatewayKey = { keyId: 'k', tags: [], shouldLogRequest: false, shouldLogResponse: false } as unknown as KeyRecord;
      const exchange = new Exchange({ request, reply }, request.body as Record<string, unknown>);
      if (model !== undefined) exchange.model = model as string;
      event = exchange.toEvent();
      void reply.send({});
    });
    // Header bytes as a client sends them: UTF-8, which Node reads one latin1 character per byte.
    const latin1 = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value, 'utf8').toString('latin1')]));
    await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: latin1, payload: body });
    await app.close();
    return event!;
  }

  it('reads non-ASCII user and custom ids sent in headers as the UTF-8 they were sent as', async () => {
    const event = await eventOf({ 'x-user-id': 'ünï', 'x-custom-event-id': 'évé-日本' }, {});
    expect([event.userId, event.customId]).toEqual(['ünï', 'évé-日本']);
  });

  it('keeps header bytes that are not UTF-8 as they came, and body ids as they are', async () => {
    const app = Fastify();
    let event: ReturnType<Exchange['toEvent']> | null = null;
    app.post('/v1/chat/completions', (request, reply) => {
      request.gatewayKey = { keyId: 'k', tags: [], shouldLogRequest: false, shouldLogResponse: false } as unknown as KeyRecord;
      event = new Exchange({ request, reply }, request.body as Record<string, unknown>).toEvent();
      void reply.send({});
    });
    // A lone 0xE9 byte (latin1 "é") is no UTF-8.
    await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { 'x-custom-event-id': 'caf\u00e9' }, payload: { user: 'Ã¼' } });
    await app.close();
    expect([event!.customId, event!.userId]).toEqual(['café', 'Ã¼']);
  });

  it('still builds the event when a provider named its model with something other than text', async () => {
    const event = await eventOf({}, {}, 7);
    expect(event.model).toBe('');
  });
});
