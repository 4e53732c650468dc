import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

/** How long a connection whose started answer has ended may bring a next request before it is closed. */
const IDLE_GRACE_MS = 250;

/**
 * Knows a server's connections and the answer each is writing, so that a stop closes every
 * keep-alive connection as soon as its answer is out. `server.close()` alone closes the idle
 * ones once; a connection whose answer ends later stays open until the client or the
 * keep-alive timeout closes it, and every stop under traffic would last the whole drain.
 *
 * Connections are tracked as they open (nothing per request but one WeakMap entry, set by the
 * server's request callback through `onRequest`).
 */
export class ConnectionDrain {
  private readonly sockets = new Set<Socket>();
  private readonly answers = new WeakMap<Socket, ServerResponse>();
  private draining = false;

  constructor(readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Called first by the server's request callback, for every request. */
  onRequest(request: IncomingMessage, response: ServerResponse): void {
    this.answers.set(request.socket, response);
    if (this.draining) response.setHeader('connection', 'close');
  }

  /**
   * Stops accepting connections; closes the idle ones now and each busy one once its answer is
   * out: answers not started yet say `connection: close` (the client will not send another
   * request on it). An answer already started (a stream) went out keep-alive: a client may send
   * its next request on that connection the moment the answer ends, so the connection is closed
   * only if it is still idle a moment later; a request that came meanwhile is answered (with
   * `connection: close`). Closing it at once would reset that request, or, half-closed, run it
   * upstream with no way to answer. Resolves when the last connection has closed.
   */
  begin(): Promise<void> {
    this.draining = true;
    // close() also closes the connections that are idle (Node knows a request being read apart).
    const closed = new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
    this.server.closeIdleConnections();
    for (const socket of this.sockets) {
      const answer = this.answers.get(socket);
      if (answer === undefined || answer.writableFinished) continue;
      if (!answer.headersSent) answer.setHeader('connection', 'close');
      else answer.once('finish', () => setTimeout(() => this.server.closeIdleConnections(), IDLE_GRACE_MS).unref());
    }
    return closed;
  }

  /** Cuts whatever is still open (the drain's deadline). */
  cutAll(): void {
    this.server.closeAllConnections();
  }

  get openConnections(): number {
    return this.sockets.size;
  }
}

/**
 * Drains the servers together (both listeners stop accepting at once), waiting up to `drainMs`;
 * then cuts the connections still open and tells `onCut` how many there were (only then: a stop
 * without busy connections is not a cut).
 */
export async function drainServers(drains: readonly ConnectionDrain[], drainMs: number, onCut: (connections: number) => void): Promise<void> {
  const closed = Promise.all(drains.map((drain) => drain.begin()));
  let deadline: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([closed.then(() => 'drained' as const), new Promise<'deadline'>((resolve) => (deadline = setTimeout(() => resolve('deadline'), drainMs)))]);
    if (outcome === 'drained') return;
    onCut(drains.reduce((sum, drain) => sum + drain.openConnections, 0));
    for (const drain of drains) drain.cutAll();
    await closed;
  } finally {
    clearTimeout(deadline);
  }
}
