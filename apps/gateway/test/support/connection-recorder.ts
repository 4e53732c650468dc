import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';

/**
 * TCP listeners on one port at several loopback addresses (127.0.0.1, 127.0.0.2 and ::1 where
 * the machine has it; never 0.0.0.0) that record every connection and answer a minimal HTTP
 * 200. Pointing refused upstream configs at them proves that a refusal made no connection at all.
 */
export class ConnectionRecorder {
  /** Local address of every accepted connection, in order. */
  readonly connections: string[] = [];
  readonly hosts: string[] = [];
  port = 0;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();

  async start(hosts: string[] = ['127.0.0.1', '127.0.0.2', '::1']): Promise<void> {
    for (const host of hosts) {
      const server = await this.listen(host, this.port);
      if (!server) continue;
      if (this.port === 0) this.port = (server.address() as AddressInfo).port;
      this.servers.push(server);
      this.hosts.push(host);
    }
    if (this.servers.length === 0) throw new Error('the connection recorder could not listen anywhere');
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }

  /** Connects directly (the recorder's own sanity check), waiting for the answer. */
  async probe(host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(this.port, host);
      socket.on('error', reject).on('data', () => undefined).on('end', () => {
        socket.destroy();
        resolve();
      });
    });
  }

  private listen(host: string, port: number): Promise<Server | null> {
    return new Promise((resolve) => {
      const server = createServer((socket) => {
        this.connections.push(socket.localAddress ?? '?');
        this.sockets.add(socket);
        socket.on('error', () => undefined).on('close', () => this.sockets.delete(socket));
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 16\r\nconnection: close\r\n\r\n{"reached":true}');
      });
      server.once('error', () => resolve(null));
      server.listen(port, host, () => resolve(server));
    });
  }
}
