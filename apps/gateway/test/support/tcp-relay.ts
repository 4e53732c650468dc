import { Server, Socket, connect, createServer } from 'node:net';

/**
 * A loopback TCP relay to a server, that a test can cut: the network between a process and its
 * Redis failing (connections reset, new ones refused) while the server itself keeps running.
 */
export class TcpRelay {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private resetting = false;
  private frozen = false;
  /** Connections made to the relay, relayed or not: how often a client tried to reach the server. */
  accepted = 0;

  private constructor(targetPort: number) {
    this.server = createServer((client) => {
      this.accepted += 1;
      if (this.resetting) {
        client.on('error', () => undefined).resetAndDestroy();
        return;
      }
      if (this.frozen) {
        this.sockets.add(client.on('error', () => undefined).on('close', () => this.sockets.delete(client)).pause());
        return;
      }
      const upstream = connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined).on('close', () => this.sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
  }

  /** Listens on `listenPort` (default: a free one) and relays to `targetPort`. */
  static async start(targetPort: number, listenPort = 0): Promise<{ relay: TcpRelay; port: number }> {
    const relay = new TcpRelay(targetPort);
    const port = await new Promise<number>((resolve, reject) => {
      relay.server.once('error', reject);
      relay.server.listen(listenPort, '127.0.0.1', () => resolve((relay.server.address() as { port: number }).port));
    });
    return { relay, port };
  }

  /**
   * Resets every relayed connection, and every new one as soon as it is accepted: what a sidecar
   * proxy (Envoy, pgbouncer, a cloud SQL proxy) does when the server behind it is gone.
   */
  resetAll(): void {
    this.resetting = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  /** The server is back after resetAll(): new connections are relayed again. */
  reopen(): void {
    this.resetting = false;
  }

  /**
   * Stops relaying without closing anything: bytes sent either way are held, and new connections
   * are accepted and left unanswered. A blackholed server (a partition, a frozen instance).
   */
  freeze(): void {
    this.frozen = true;
    for (const socket of this.sockets) socket.unpipe().pause();
  }

  /**
   * The partition heals: new connections are relayed again. Those made while frozen stay
   * unanswered, as a peer's half-open connection would after one: only a client that gave up on
   * its connection and made another is back.
   */
  thaw(): void {
    this.frozen = false;
  }

  /** Resets every relayed connection and refuses new ones. */
  cut(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }
}
