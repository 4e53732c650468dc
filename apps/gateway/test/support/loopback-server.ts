import { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * What every loopback fake upstream shares: an HTTP server on 127.0.0.1 at a free port, the
 * requests it recorded, and a `stop()` that also cuts open connections (streams included).
 * A fake answers in `handle` and decides there what it records in `requests`.
 */
export abstract class LoopbackServer<TRequest> {
  readonly requests: TRequest[] = [];
  port = 0;
  private server: Server | null = null;

  /** Names the fake in the error `lastRequest()` throws, e.g. 'the fake Gemini'. */
  protected abstract readonly label: string;

  /** The server root, `http://127.0.0.1:<port>`. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  lastRequest(): TRequest {
    const last = this.requests[this.requests.length - 1];
    if (!last) throw new Error(`${this.label} received no request`);
    return last;
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

/** A request's path, its raw query string without `?` ('' when none) and its body bytes. */
export async function readRequest(req: IncomingMessage): Promise<{ path: string; query: string; raw: Buffer }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const [path, query = ''] = (req.url ?? '').split(/\?(.*)/s, 2);
  return { path, query, raw: Buffer.concat(chunks) };
}

/** A request as the fakes that speak JSON record it. */
export interface JsonRequest {
  method: string;
  /** The path without the query string, e.g. `/v1/messages`. */
  path: string;
  /** The raw query string without `?` ('' when none), e.g. `alt=sse`. */
  query: string;
  headers: IncomingHttpHeaders;
  /** The parsed body; null when there was none, or when it was not JSON. */
  body: Record<string, unknown> | null;
}

/** Reads a request whose body should be JSON; `malformed` when it is not (its `body` is then null). */
export async function readJsonRequest(req: IncomingMessage): Promise<{ request: JsonRequest; malformed: boolean }> {
  const { path, query, raw } = await readRequest(req);
  const request: JsonRequest = { method: req.method ?? '', path, query, headers: req.headers, body: null };
  try {
    if (raw.length > 0) request.body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    return { request, malformed: false };
  } catch {
    return { request, malformed: true };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
