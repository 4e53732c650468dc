import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { IncomingMessage, Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { SsrfGuard, UpstreamAllowList } from './ssrf-guard';
import { UpstreamClient } from './upstream-client';

describe('UpstreamClient per-call cap (totalMs)', () => {
  let server: Server;
  let port: number;
  /** Requests the server received, each resolved when its connection closes. */
  const received: Array<{ request: IncomingMessage; closed: Promise<void> }> = [];

  beforeAll(async () => {
    // Never answers: a provider that hangs.
    server = createServer((request) => received.push({ request, closed: new Promise((resolve) => request.socket.once('close', () => resolve())) }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('cuts the call off at its own cap, closing the connection, well before the client-wide timeout', async () => {
    const guard = SsrfGuard.withAllowList(UpstreamAllowList.parse(['127.0.0.1']));
    const client = new UpstreamClient({ connectMs: 2_000, firstByteMs: 60_000, totalMs: 60_000 }, guard);
    try {
      const started = Date.now();
      const outcome = await client.send({ url: `http://127.0.0.1:${port}/models`, method: 'GET', headers: {}, totalMs: 1_000 }).catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(GatewayError);
      expect((outcome as GatewayError).code).toBe(GatewayErrorCode.UpstreamTimeout);
      expect(Date.now() - started).toBeLessThan(10_000);
      // The hanging request does not linger on a pooled connection: the provider sees it closed.
      expect(received).toHaveLength(1);
      await received[0].closed;
    } finally {
      await client.close();
    }
  });
});
