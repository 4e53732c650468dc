import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { ChatStreamTranslator } from '@tollgate/providers';
import { Agent, Dispatcher, request } from 'undici';
import { RelayOptions, RelayResult, relaySse } from './sse-relay';

/** Relays events as they are; an event holding STOP ends the stream for it (as an end word does). */
class VerbatimTranslator implements ChatStreamTranslator {
  done = false;
  usage = null;
  model = null;
  completionText = '';
  push(event: string): string {
    if (event.includes('STOP')) this.done = true;
    // A translator bug, as a provider's malformed event could set off.
    if (event.includes('BREAK')) throw new TypeError("Cannot read properties of null (reading 'error')");
    return event;
  }
  end(): string {
    return 'data: [DONE]\n\n';
  }
}

const FLOOD_EVENTS = 16_384;
/** How long the relay waits for an upstream to end its body after the answer's end (short here). */
const DONE_GRACE_MS = 200;
const event = (n: number, size = 0) => `data: {"n":${n}${size > 0 ? `,"pad":"${'x'.repeat(size)}"` : ''}}\n\n`;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('relaySse (real sockets: an upstream server, undici, a client)', () => {
  let upstream: Server;
  let upstreamUrl: string;
  /** Per upstream request: when its connection closed, and how many events it has written. */
  const upstreamSeen: Array<{ closed: Promise<void>; written: number }> = [];
  let gateway: Server;
  let gatewayUrl: string;
  const agent = new Agent();
  let results: Array<Promise<RelayResult>> = [];
  let relayOptions: Partial<RelayOptions> = {};
  /** How the gateway gets its upstream body: as is, or already failed before the relay. */
  let prepare: (body: Dispatcher.ResponseData['body']) => Readable = (body) => body;

  beforeAll(async () => {
    upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
      const seen = { closed: new Promise<void>((resolve) => req.socket.once('close', () => resolve())), written: 0 };
      upstreamSeen.push(seen);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (req.url === '/ok') {
        res.end(`${event(1)}${event(2)}${event(3)}`);
      } else if (req.url === '/reset') {
        res.write(event(1), () => setTimeout(() => req.socket.destroy(), 20));
      } else if (req.url === '/secret') {
        res.end(`data: {"choices":[{"delta":{"content":"Start lm-studio-key, then"}}]}\n\ndata: {"error":{"message":"key lm-studio-key refused"}}\n\n`);
      } else if (req.url === '/stop') {
        res.write(`${event(1)}data: STOP\n\n${event(2)}`);
        // Keeps going until the relay hangs up on it.
        const timer = setInterval(() => res.write(event(9)), 10);
        req.socket.once('close', () => clearInterval(timer));
      } else if (req.url === '/stop-then-end') {
        // The end word, then the body's own end a little later: the connection stays reusable.
        res.write(`${event(1)}data: STOP\n\n`, () => setTimeout(() => res.end(event(8)), 30));
      } else if (req.url === '/stop-then-reset') {
        res.write(`${event(1)}data: STOP\n\n`, () => setTimeout(() => req.socket.destroy(), 30));
      } else if (req.url === '/break') {
        res.write(`${event(1)}data: BREAK\n\n`);
        const timer = setInterval(() => res.write(event(9)), 10);
        req.socket.once('close', () => clearInterval(timer));
      } else if (req.url === '/forever') {
        const timer = setInterval(() => res.write(event(7)), 5);
        req.socket.once('close', () => clearInterval(timer));
      } else if (req.url === '/flood') {
        // 64 MB, as fast as the relay takes it: far more than the sockets' buffers hold.
        const pump = () => {
          while (seen.written < FLOOD_EVENTS) {
            if (!res.write(event(seen.written++, 4000))) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
      }
    });
    upstreamUrl = await listen(upstream);
    gateway = createServer((req, res) => {
      const relayed = (async () => {
        const answer = await request(`${upstreamUrl}${req.url}`, { dispatcher: agent });
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return relaySse(prepare(answer.body), res, new VerbatimTranslator(), { keepTranscript: true, errorStyle: 'openai', doneGraceMs: DONE_GRACE_MS, ...relayOptions });
      })();
      results.push(relayed);
    });
    gatewayUrl = await listen(gateway);
  });

  afterEach(() => {
    relayOptions = {};
    results = [];
    upstreamSeen.length = 0;
    prepare = (body) => body;
  });

  afterAll(async () => {
    await close(gateway);
    await close(upstream);
    await agent.close();
  });

  it('relays every event in order, then the translator’s end, and keeps the transcript', async () => {
    const text = await (await fetch(`${gatewayUrl}/ok`)).text();
    expect(text).toBe(`${event(1)}${event(2)}${event(3)}data: [DONE]\n\n`);
    const result = await results[0];
    expect(result).toEqual({ error: null, clientDisconnected: false, transcript: text });
  });

  it("redacts the credential in an error frame, and leaves the model's own words alone", async () => {
    relayOptions = { secrets: ['lm-studio-key'] };
    const text = await (await fetch(`${gatewayUrl}/secret`)).text();
    expect(text).toBe('data: {"choices":[{"delta":{"content":"Start lm-studio-key, then"}}]}\n\ndata: {"error":{"message":"key [redacted] refused"}}\n\ndata: [DONE]\n\n');
    expect((await results[0]).transcript).toBe(text);
  });

  it('ends with an error frame when the upstream connection breaks mid-stream', async () => {
    const text = await (await fetch(`${gatewayUrl}/reset`)).text();
    expect(text.startsWith(event(1))).toBe(true);
    // The kind of failure, never its message (which may name the upstream's address).
    expect(text).toMatch(/data: \{"error":\{"message":"could not reach the upstream provider \([A-Z0-9_]+\)","type":"[a-z_]+","param":null,"code":"upstream_unreachable"\}\}\n\n$/);
    expect((await results[0]).error?.code).toBe('upstream_unreachable');
    expect((await results[0]).error?.logDetail).toMatch(/./);
  });

  it('answers with an error frame when the body failed before the relay began', async () => {
    prepare = (body) => body.destroy(new Error('reset before the relay')) as Readable;
    const text = await (await fetch(`${gatewayUrl}/ok`)).text();
    expect(text).toContain("the upstream provider's answer could not be read");
    // What failed is for the operator's log, not the client's frame.
    expect(text).not.toContain('reset before the relay');
    expect((await results[0]).error?.logDetail).toBe('reset before the relay');
  });

  it('ends the client at once when the translator is done, and hangs up on an upstream that keeps going', async () => {
    const started = Date.now();
    const text = await (await fetch(`${gatewayUrl}/stop`)).text();
    expect(text).toBe(`${event(1)}data: STOP\n\ndata: [DONE]\n\n`);
    expect(Date.now() - started).toBeLessThan(DONE_GRACE_MS);
    // The outcome (and so the event) comes at the answer's end, not after the upstream is cut.
    const first = await Promise.race([results[0].then(() => 'outcome'), upstreamSeen[0].closed.then(() => 'upstream cut')]);
    expect(first).toBe('outcome');
    await upstreamSeen[0].closed;
    expect(await results[0]).toMatchObject({ error: null, clientDisconnected: false });
  });

  it('reads an upstream to its own end after the answer\'s end, dropping what follows, so its connection is reused', async () => {
    const first = await (await fetch(`${gatewayUrl}/stop-then-end`)).text();
    expect(first).toBe(`${event(1)}data: STOP\n\ndata: [DONE]\n\n`);
    expect(await results[0]).toEqual({ error: null, clientDisconnected: false, transcript: first });
    await (await fetch(`${gatewayUrl}/ok`)).text();
    const closedYet = await Promise.race([upstreamSeen[0].closed.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 50))]);
    expect(closedYet).toBe(false);
    expect(upstreamSeen).toHaveLength(2);
  });

  it('an upstream failure after the answer\'s end is no error: no error frame, nothing recorded', async () => {
    const text = await (await fetch(`${gatewayUrl}/stop-then-reset`)).text();
    expect(text).toBe(`${event(1)}data: STOP\n\ndata: [DONE]\n\n`);
    expect(await results[0]).toMatchObject({ error: null, clientDisconnected: false });
  });

  it('ends with an error frame and hangs up on the upstream when the translator fails', async () => {
    const text = await (await fetch(`${gatewayUrl}/break`)).text();
    expect(text).toMatch(/data: \{"error":\{"message":"[^"]+","type":"[a-z_]+","param":null,"code":"[a-z_]+"\}\}\n\n$/);
    expect((await results[0]).error).not.toBeNull();
    await upstreamSeen[0].closed;
  });

  it('hangs up on the upstream when the client leaves', async () => {
    const abort = new AbortController();
    const response = await fetch(`${gatewayUrl}/forever`, { signal: abort.signal });
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    expect(await results[0]).toMatchObject({ error: null, clientDisconnected: true });
    await upstreamSeen[0].closed;
  });

  it('holds the upstream back while the client does not read, and loses nothing', async () => {
    const response = await fetch(`${gatewayUrl}/flood`);
    // Nothing is read for a while: the relay must stop reading the upstream, not buffer 64 MB.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(upstreamSeen[0].written).toBeLessThan(FLOOD_EVENTS / 2);
    const text = await response.text();
    const numbers = [...text.matchAll(/"n":(\d+)/g)].map((match) => Number(match[1]));
    expect(numbers).toEqual(Array.from({ length: FLOOD_EVENTS }, (_, n) => n));
    expect(await results[0]).toMatchObject({ error: null, clientDisconnected: false });
  });
});
