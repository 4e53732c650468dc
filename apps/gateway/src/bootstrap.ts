import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Env, Logger, PinoNestLogger, exitOnShutdownSignals } from '@tollgate/common';
import { createMigrationDataSource, runMigrationsLocked } from '@tollgate/database';
import { DataSource } from 'typeorm';
import { GatewayModule } from './gateway.module';
import { AdminKeyVerifier } from './admin/common/admin-key';
import { DualListener, configureFastify } from './http/http-server';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { KeyAuthenticator } from './proxy/key-authenticator';
import { BodyBudget } from './http/body-budget';
import { ProxyPipeline } from './proxy/proxy-pipeline';
import { drainServers } from './http/drain';
import { ShutdownState } from './runtime/shutdown-state';
import { CUT_EXCHANGES_WAIT_MS, SHUTDOWN_RETRY_MS } from './runtime/event-flush-on-shutdown';
import { QUEUE_CLOSE_TIMEOUT_MS } from './runtime/infrastructure.module';

export interface RunningGateway {
  app: NestFastifyApplication;
  proxyPort: number;
  adminPort: number;
  close(): Promise<void>;
}

/**
 * Starts the gateway: migrations (under an advisory lock), then one Nest application served
 * on two listeners. Used by main.ts, standalone mode and the e2e tests alike.
 */
export async function startGateway(
  env: Env,
  logger: Logger,
  options: { shutdownHooks?: boolean } = {},
): Promise<RunningGateway> {
  if (env.migrateOnStart) await migrate(env.databaseUrl!, logger);

  const listeners = new DualListener();
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(env, logger), listeners.createAdapter(env, logger), {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    // Fastify's own JSON parser only: Nest's would wrap it (buffering the body first) and add a
    // urlencoded parser, turning form posts into bodies the OpenAI API never takes (415 instead).
    bodyParser: false,
  });
  const pipeline = app.get(ProxyPipeline);
  configureFastify(app.getHttpAdapter().getInstance(), {
    logger,
    metrics: app.get(GatewayMetrics),
    keys: app.get(KeyAuthenticator),
    adminKeys: new AdminKeyVerifier(env.adminApiKey),
    recordRefusal: (request, reply, error) => pipeline.recordRefusal(request, reply, error),
    proxyCorsOrigins: env.proxyCorsOrigins,
    bodies: new BodyBudget(env.maxBodyBytesInFlight, env.maxBodyBytes),
  });
  setupSwagger(app);
  await app.listen(env.proxyPort, env.host);
  const adminPort = await listeners.listenAdmin(env.adminPort, env.host);
  const proxyPort = (app.getHttpServer().address() as { port: number }).port;
  logger.info({ proxyPort, adminPort, mode: env.mode }, 'tollgate gateway listening');
  const close = () => closeGateway(app, listeners, env, logger);
  // Standalone mode handles signals itself (it must stop its embedded Postgres after the app).
  if (options.shutdownHooks ?? true) exitOnShutdownSignals(close, logger, shutdownDeadlineMs(env));
  return { app, proxyPort, adminPort, close };
}

/**
 * How long a stop may take before the process exits anyway: the delay and the drain, then the
 * steps after them, each bounded on its own (the wait for cut exchanges, the event flush's
 * retries, the queue's close and its disconnect), and a second to spare. With the defaults,
 * 29 s: inside Kubernetes' default 30 s grace period, so the process ends itself before a
 * SIGKILL would.
 */
export function shutdownDeadlineMs(env: Pick<Env, 'shutdownDrainMs' | 'shutdownDelayMs'>): number {
  return env.shutdownDelayMs + env.shutdownDrainMs + CLOSE_STEPS_MS;
}

const CLOSE_STEPS_MS = CUT_EXCHANGES_WAIT_MS + SHUTDOWN_RETRY_MS + 2 * QUEUE_CLOSE_TIMEOUT_MS + 1_000;

/**
 * Stops the gateway: unready at once, still serving for SHUTDOWN_DELAY_MS, then both listeners
 * close, letting requests in flight finish for up to SHUTDOWN_DRAIN_MS: a stream may
 * otherwise run for UPSTREAM_TOTAL_TIMEOUT_MS and outlast any grace period, to be killed with
 * its event unrecorded. Past the deadline their connections are cut; each exchange then ends
 * as one whose client left (its event recorded, its estimate billed) before Nest's shutdown
 * hooks deliver the buffered events and close the clients.
 */
async function closeGateway(app: NestFastifyApplication, listeners: DualListener, env: Pick<Env, 'shutdownDrainMs' | 'shutdownDelayMs'>, logger: Logger): Promise<void> {
  // Unready first, still serving, so load balancers stop sending before the listeners close.
  app.get(ShutdownState).begin();
  if (env.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, env.shutdownDelayMs));
  const drainMs = env.shutdownDrainMs;
  // Both listeners stop accepting at once: a busy admin connection must not keep the proxy open.
  await drainServers([listeners.proxyDrain!, listeners.adminDrain], drainMs, (connections) =>
    logger.warn({ drainMs, connections }, 'requests still in flight at the drain deadline: cutting their connections'),
  );
  await app.close();
}

export async function migrate(databaseUrl: string, logger: Logger): Promise<void> {
  const dataSource = createMigrationDataSource(databaseUrl);
  await initializeWhenReachable(dataSource, logger);
  try {
    const applied = await runMigrationsLocked(dataSource, () => logger.info('waiting for another replica to finish the database migrations'));
    // Said either way: `npm run db:migrate` otherwise ended in silence when there was nothing to do.
    if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
    else logger.info('database schema up to date: no pending migrations');
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Postgres that is still starting (a fresh container, a failover) refuses connections for a few
 * seconds: the first connection is retried for up to POSTGRES_WAIT_MS instead of failing the
 * start (and, in Compose, the one-shot migration everything else waits for). Other errors (a
 * wrong password, a missing database) fail at once.
 */
async function initializeWhenReachable(dataSource: DataSource, logger: Logger): Promise<void> {
  const giveUpAt = Date.now() + POSTGRES_WAIT_MS;
  for (;;) {
    try {
      await dataSource.initialize();
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (!POSTGRES_NOT_YET_REACHABLE.has(String(code)) || Date.now() >= giveUpAt) throw error;
      logger.warn({ code }, 'Postgres is not reachable yet: retrying');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

const POSTGRES_WAIT_MS = 30_000;
/** Refused or reset connections, names not resolvable yet (Compose), and 57P03 "the database system is starting up". */
const POSTGRES_NOT_YET_REACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EAI_AGAIN', 'ENOTFOUND', '57P03']);

function setupSwagger(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Tollgate admin API')
    .setDescription(
      'Provider settings, virtual keys, events and prices. Every route needs the X-API-KEY header (ADMIN_API_KEY). ' +
        'Errors are {status, title, type, detail, instance}.',
    )
    .setVersion('0.1.0')
    .addApiKey({ type: 'apiKey', name: 'X-API-KEY', in: 'header' }, 'admin-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
