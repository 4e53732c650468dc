import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ENV, Env, LOGGER, LogThrottle, Logger, collectRuntimeMetrics, mirroredCounter, providerLabel, withTimeout } from '@tollgate/common';
import { LimitStoreFailures } from '@tollgate/limits';
import { EventQueueBacklog, EventQueueBacklogReader } from '@tollgate/queue';
import { EventEntity } from '@tollgate/reporting';
import { Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { WorkerHealth } from '../health/worker-health';
import { WorkerProbeRedis } from '../health/worker-probe-redis';

/**
 * From a batch recorded as soon as it was queued (the gateway's flush and the worker's batch wait
 * take tens of milliseconds) to events that waited out an outage: retries go on for days.
 */
const LAG_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];
/** As the gateway's queue gauge: a scrape must not hang on a Redis outage; the gauges are left out of it instead. */
const BACKLOG_READ_TIMEOUT_MS = 1_000;

/**
 * The worker's Prometheus metrics, on WORKER_METRICS_PORT when set (with its probes, /health/live
 * and /health/ready): what it recorded (events,
 * tokens and USD by provider, so spend can be graphed without querying Postgres), its batches'
 * duration and failures, how far behind it is (each event's time from its request's end to its
 * row, the events waiting and the oldest one's age), the limit store's failures, and Node's own
 * metrics. Events are counted once: a retried batch's already-recorded events are not counted again.
 */
@Injectable()
export class WorkerMetrics implements OnModuleInit, OnApplicationShutdown {
  readonly registry = new Registry();
  private readonly events: Counter<'provider' | 'price_known'>;
  private readonly tokens: Counter<'provider' | 'kind'>;
  private readonly cost: Counter<'provider'>;
  private readonly batchDuration: Histogram;
  private readonly batchFailures: Counter;
  private readonly eventLag: Histogram;
  private readonly degradedEvents: Counter;
  private readonly unrecordableAttempts: Counter;
  private server: Server | null = null;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly health: WorkerHealth,
    probe: WorkerProbeRedis,
    limitStoreFailures: LimitStoreFailures,
  ) {
    const registers = [this.registry];
    // Node's own metrics sample the event loop on a timer: only when someone can read them.
    if (env.workerMetricsPort !== null) collectRuntimeMetrics(this.registry);
    this.events = new Counter({
      name: 'tollgate_worker_events_recorded_total',
      help: 'Events recorded in Postgres, by provider (none: refused before routing) and whether their price was known.',
      labelNames: ['provider', 'price_known'],
      registers,
    });
    this.tokens = new Counter({
      name: 'tollgate_worker_tokens_total',
      help: 'Tokens of the recorded events (reported by the provider, or estimated), by provider and kind (prompt, completion).',
      labelNames: ['provider', 'kind'],
      registers,
    });
    this.cost = new Counter({
      name: 'tollgate_worker_cost_usd_total',
      help: 'USD cost of the recorded events by provider, as in Postgres: unpriced events add nothing, except budgeted ones, charged their reserved worst case.',
      labelNames: ['provider'],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'tollgate_worker_batch_duration_seconds',
      help: 'Time to price, settle and persist one batch of events.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batchFailures = new Counter({
      name: 'tollgate_worker_batch_failures_total',
      help: 'Failed attempts to record a batch (Postgres or Redis down, say); a failed batch is retried event by event, then with backoff.',
      registers,
    });
    this.eventLag = new Histogram({
      name: 'tollgate_worker_event_lag_seconds',
      help: "Time from a request's end (its event made in the gateway) to its event stored in Postgres: delivery, the queue's backlog, retries and the batch.",
      buckets: LAG_BUCKETS,
      registers,
    });
    this.degradedEvents = new Counter({
      name: 'tollgate_worker_events_degraded_total',
      help: 'Events Postgres refused whole, recorded (their cost counted) without the fields their degraded_fields name. Also counted in tollgate_worker_events_recorded_total.',
      registers,
    });
    this.unrecordableAttempts = new Counter({
      name: 'tollgate_worker_event_unrecordable_attempts_total',
      help: 'Attempts to record an event Postgres refuses even in its minimal form: retried with backoff, its cost not in Postgres meanwhile; the error log names its request id.',
      registers,
    });
    this.registerBacklogGauges(new EventQueueBacklogReader(probe.redis, env.queuePrefix), registers);
    mirroredCounter({
      name: 'tollgate_limit_store_failures_total',
      help: 'Failed calls to the limit store (Redis) by operation: spend not settled while settle fails (the events are retried).',
      labelName: 'operation',
      registers,
      read: () => limitStoreFailures.totals(),
    });
  }

  /**
   * The events waiting for a worker and the oldest one's age, read at each scrape in one script
   * on the probe connection (no offline queue, tight timeouts), once for both gauges. While Redis
   * is unreachable they are left out of the scrape, the rest of it served, and the failure is
   * logged once per interval, not once per scrape.
   */
  private registerBacklogGauges(reader: EventQueueBacklogReader, registers: Registry[]): void {
    const unavailableLog = new LogThrottle();
    let reading: Promise<EventQueueBacklog | null> | null = null;
    const read = () =>
      (reading ??= withTimeout(reader.read(), BACKLOG_READ_TIMEOUT_MS, 'event queue backlog read timed out')
        .catch((error: unknown) => {
          unavailableLog.note((occurrences) => this.logger.warn({ err: error, occurrences }, 'metrics: event queue backlog unavailable'));
          return null;
        })
        .finally(() => {
          reading = null;
        }));
    new Gauge({
      name: 'tollgate_worker_events_waiting',
      help: 'Events in the queue waiting for a worker (not those waiting for a retry): grows while workers are too few or stopped.',
      registers,
      async collect() {
        const backlog = await read();
        // remove(), not reset(): reset() leaves a gauge without labels at 0, an empty queue.
        if (backlog) this.set(backlog.waiting);
        else this.remove();
      },
    });
    new Gauge({
      name: 'tollgate_worker_oldest_waiting_event_age_seconds',
      help: 'How long the oldest event waiting for a worker has been queued (a retried one since it was first queued); 0 when none waits.',
      registers,
      async collect() {
        const backlog = await read();
        if (backlog) this.set(backlog.oldestQueuedAt === null ? 0 : Math.max(0, Date.now() - backlog.oldestQueuedAt) / 1000);
        else this.remove();
      },
    });
  }

  /** The port /metrics is served on (after start), or null. */
  get port(): number | null {
    return this.server ? (this.server.address() as AddressInfo).port : null;
  }

  recorded(rows: EventEntity[], seconds: number): void {
    this.batchDuration.observe(seconds);
    const now = Date.now();
    for (const row of rows) {
      // The gateway's clock made createdAt: one a little ahead of the worker's is no negative lag.
      this.eventLag.observe(Math.max(0, now - (row.createdAt.getTime() + row.latencyInMs)) / 1000);
      const provider = providerLabel(row.provider, row.settingId);
      this.events.inc({ provider, price_known: String(row.priceKnown) });
      if (row.promptTokenCount > 0) this.tokens.inc({ provider, kind: 'prompt' }, row.promptTokenCount);
      if (row.completionTokenCount > 0) this.tokens.inc({ provider, kind: 'completion' }, row.completionTokenCount);
      if (row.costInUsd !== null && Number.isFinite(row.costInUsd) && row.costInUsd > 0) this.cost.inc({ provider }, row.costInUsd);
      if (row.degradedFields !== null) this.degradedEvents.inc();
    }
  }

  failed(seconds: number): void {
    this.batchDuration.observe(seconds);
    this.batchFailures.inc();
  }

  unrecordable(): void {
    this.unrecordableAttempts.inc();
  }

  /** Before the processors start consuming: a port already taken fails the start, not a job. */
  async onModuleInit(): Promise<void> {
    if (this.env.workerMetricsPort === null) return;
    const server = createServer((request, response) => {
      const path = request.url?.split('?')[0];
      if (request.method === 'GET' && path === '/health/live') return sendJson(response, 200, { status: 'ok' });
      if (request.method === 'GET' && path === '/health/ready') {
        void this.health.ready().then(({ ready, checks }) => sendJson(response, ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', checks }));
        return;
      }
      if (request.method !== 'GET' || path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
        return;
      }
      this.registry.metrics().then(
        (body) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (error: unknown) => {
          this.logger.error({ err: error }, 'metrics: scrape failed');
          response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.env.workerMetricsPort!, this.env.host, () => resolve());
    });
    this.server = server;
    this.logger.info({ port: this.port }, 'worker metrics at /metrics');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
