import { createServer } from 'node:net';
import Redis from 'ioredis';
import { GuardedProcess, spawnGuarded } from './child-process';

/**
 * A private redis-server on a free loopback port, for tests that flush, freeze or stop Redis
 * (never the shared one other test files use). No persistence: a restart starts empty, as a
 * crashed Redis without AOF would.
 */
export class RedisServer {
  private process: GuardedProcess | null = null;
  private admin: Redis | null = null;

  private constructor(
    readonly port: number,
    private readonly password?: string,
  ) {}

  /** With `password`, the server requires it (requirepass), and `url` carries it. */
  static async start(options: { password?: string } = {}): Promise<RedisServer> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new RedisServer(await freePort(), options.password);
      try {
        await server.launch();
        return server;
      } catch (error) {
        // Another process may have taken the port between probing and binding.
        lastError = error;
        await server.kill();
      }
    }
    throw lastError;
  }

  get url(): string {
    return `redis://${this.password ? `:${encodeURIComponent(this.password)}@` : ''}127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (!this.process) throw new Error('redis-server is not running');
    return this.process.pid;
  }

  /** Freezes the server: connections stay open, nothing answers. */
  pause(): void {
    this.process?.signal('SIGSTOP');
  }

  resume(): void {
    this.process?.signal('SIGCONT');
  }

  /** Stops the server (SIGTERM); its data is gone. */
  async stop(): Promise<void> {
    this.admin?.disconnect();
    this.admin = null;
    await this.process?.stop(3_000);
    this.process = null;
  }

  /** Starts a fresh, empty server on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** A connection for the test itself (fails fast rather than waiting for a frozen server). */
  client(): Redis {
    this.admin ??= new Redis(this.url, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 });
    return this.admin;
  }

  async flushAll(): Promise<void> {
    await this.client().flushall();
  }

  /** Always safe in afterAll: thaws a frozen server before stopping it. */
  async kill(): Promise<void> {
    this.resume();
    await this.stop();
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'notice'];
    if (this.password) args.push('--requirepass', this.password);
    this.process = await spawnGuarded('redis-server', args, { PATH: process.env.PATH });
    await this.process.waitForLine((line) => line.includes('Ready to accept connections'), 5_000, `redis-server on port ${this.port}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
