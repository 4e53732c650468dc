import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { IncomingMessage, Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import { SsrfGuard, UpstreamAllowList } from './ssrf-guard';
import { UpstreamAbort } from './upstream-abort';
import { UpstreamClient, toUpstreamError } from './upstream-client';

describe('UpstreamClient: aborts and the per-call cap (totalMs)', () => {
  let server: Server;
  let port: number;
  /** Requests the server received, each resolved when its connection closes. */
  const received: Array<{ request: IncomingMessage; closed: Promise<void> }> = [];

  beforeAll(async () => {
    // A provider that hangs: /stall sends its headers and a first chunk, then nothing; any other
    // path never answers at all.
    server = createServer((request, response) => {
      received.push({ request, closed: new Promise((resolve) => request.socket.once('close', () => resolve())) });
      if (request.url === '/stall') response.writeHead(200, { 'content-type': 'text/event-stream' }).write('data: {}\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A client allowed to reach the loopback server, with client-wide timeouts far above each test's. */
  let client: UpstreamClient;

  beforeEach(() => {
    received.length = 0;
    client = new UpstreamClient({ connectMs: 2_000, firstByteMs: 60_000, totalMs: 60_000 }, SsrfGuard.withAllowList(UpstreamAllowList.parse(['127.0.0.1'])));
  });

  afterEach(() => client.close());

  it('stops the call when the caller aborts its handle, and it is not a timeout', async () => {
    const abort = new UpstreamAbort();
    const outcome = client.send({ url: `http://127.0.0.1:${port}/hang`, method: 'GET', headers: {}, abort }).catch((error: unknown) => error);
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    abort.abort();
    const error = await outcome;
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe(GatewayErrorCode.UpstreamUnreachable);
    expect(abort.aborted).toBe(true);
    await received[0].closed;
  });

  it('errors a body still being read when the cap passes, as a timeout', async () => {
    const response = await client.send({ url: `http://127.0.0.1:${port}/stall`, method: 'GET', headers: {}, totalMs: 500 });
    expect(response.statusCode).toBe(200);
    const error = await response.body.text().catch((thrown: unknown) => thrown);
    expect(toUpstreamError(error).code).toBe(GatewayErrorCode.UpstreamTimeout);
    await received[0].closed;
  });

  it('does not hold a call back while many long streams to the same provider are open', async () => {
    // Streams last minutes and each holds its connection: a busy gateway has hundreds open to
    // one provider at once. A call past a per-origin cap waited, silent, for one of them to end.
    const aborts = Array.from({ length: 300 }, () => new UpstreamAbort());
    const streams = aborts.map((abort) => client.send({ url: `http://127.0.0.1:${port}/stall`, method: 'GET', headers: {}, abort }));
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([Promise.all(streams).then(() => 'all answered'), new Promise((resolve) => (timer = setTimeout(() => resolve('some still queued'), 5_000)))]);
      expect(outcome).toBe('all answered');
    } finally {
      clearTimeout(timer);
      for (const abort of aborts) abort.abort();
      await Promise.allSettled(streams);
    }
  });

  it('cuts the call off at its own cap, closing the connection, well before the client-wide timeout', async () => {
    const started = Date.now();
    const outcome = await client.send({ url: `http://127.0.0.1:${port}/models`, method: 'GET', headers: {}, totalMs: 1_000 }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(GatewayError);
    expect((outcome as GatewayError).code).toBe(GatewayErrorCode.UpstreamTimeout);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The hanging request does not linger on a pooled connection: the provider sees it closed.
    expect(received).toHaveLength(1);
    await received[0].closed;
  });
});

describe('UpstreamClient: onSent tells when the request went out (what a provider may bill)', () => {
  let server: Server;
  let port: number;
  const received: string[] = [];

  beforeAll(async () => {
    // /hang reads the request and never answers; /drop reads it and cuts the connection.
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push(body);
        if (request.url === '/drop') request.socket.destroy();
        else if (request.url === '/ok') response.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
  });

  const clientWith = (timeouts: Partial<{ connectMs: number; firstByteMs: number; totalMs: number }> = {}, allowed = ['127.0.0.1']) =>
    new UpstreamClient({ connectMs: 2_000, firstByteMs: 60_000, totalMs: 60_000, ...timeouts }, SsrfGuard.withAllowList(UpstreamAllowList.parse(allowed)));

  /** Sends one POST; returns how many times onSent was called, and the error if it failed. */
  const sendCounting = async (client: UpstreamClient, url: string): Promise<{ sent: number; error: GatewayError | null }> => {
    let sent = 0;
    try {
      const response = await client.send({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"hello"}', onSent: () => sent++ });
      await response.body.dump();
      return { sent, error: null };
    } catch (error) {
      return { sent, error: error as GatewayError };
    } finally {
      await client.close();
    }
  };

  it('is called once for a request that reached the upstream: answered, never answered (first-byte timeout), or dropped', async () => {
    expect(await sendCounting(clientWith(), `http://127.0.0.1:${port}/ok`)).toEqual({ sent: 1, error: null });
    const timedOut = await sendCounting(clientWith({ firstByteMs: 200 }), `http://127.0.0.1:${port}/hang`);
    expect([timedOut.sent, timedOut.error?.code]).toEqual([1, GatewayErrorCode.UpstreamTimeout]);
    const dropped = await sendCounting(clientWith(), `http://127.0.0.1:${port}/drop`);
    expect([dropped.sent, dropped.error?.code]).toEqual([1, GatewayErrorCode.UpstreamUnreachable]);
    expect(received).toEqual(['{"prompt":"hello"}', '{"prompt":"hello"}', '{"prompt":"hello"}']);
  });

  it('is never called when nothing was sent: a refused connection, an address the outbound policy refuses', async () => {
    // A port nobody listens on: the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await sendCounting(clientWith(), `http://127.0.0.1:${closedPort}/x`);
    expect([refused.sent, refused.error?.message]).toEqual([0, 'could not reach the upstream provider (ECONNREFUSED)']);
    const policy = await sendCounting(clientWith({}, []), `http://127.0.0.1:${port}/ok`);
    expect([policy.sent, policy.error?.code]).toEqual([0, GatewayErrorCode.UpstreamUnreachable]);
    expect(received).toEqual([]);
  });
});

describe('toUpstreamError: the client reads the kind of failure, the operator the whole of it', () => {
  const connectError = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });

  it("names the code, never the address; the log detail keeps the message", () => {
    const error = toUpstreamError(Object.assign(new TypeError('fetch failed'), { cause: connectError('10.0.3.7:8000') }));
    expect([error.code, error.message, error.logDetail]).toEqual([GatewayErrorCode.UpstreamUnreachable, 'could not reach the upstream provider (ECONNREFUSED)', 'connect ECONNREFUSED 10.0.3.7:8000']);
  });

  it('keeps every address of a name that resolved to several (an AggregateError has no message of its own)', () => {
    const aggregate = Object.assign(new AggregateError([connectError('10.0.3.7:8000'), connectError('10.0.3.8:8000')], ''), { code: 'ECONNREFUSED' });
    const error = toUpstreamError(Object.assign(new TypeError('fetch failed'), { cause: aggregate }));
    expect([error.message, error.logDetail]).toEqual(['could not reach the upstream provider (ECONNREFUSED)', 'connect ECONNREFUSED 10.0.3.7:8000; connect ECONNREFUSED 10.0.3.8:8000']);
  });

  it("reads an error's cause by its shape, whatever realm made it", () => {
    const foreign = runInNewContext("Object.assign(new Error('getaddrinfo ENOTFOUND llama.corp.internal'), { code: 'ENOTFOUND' })") as unknown;
    const error = toUpstreamError(Object.assign(new TypeError('fetch failed'), { cause: foreign }));
    expect([error.message, error.logDetail]).toEqual(['could not reach the upstream provider (ENOTFOUND)', 'getaddrinfo ENOTFOUND llama.corp.internal']);
  });

  it('an error without a code is no failure to connect: the answer could not be read', () => {
    const error = toUpstreamError(new SyntaxError('Unexpected token < in JSON at position 0'));
    expect([error.message, error.logDetail]).toEqual(["the upstream provider's answer could not be read", 'Unexpected token < in JSON at position 0']);
  });
});
