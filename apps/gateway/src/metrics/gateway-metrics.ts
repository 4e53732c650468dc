import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, LogThrottle, Logger, collectRuntimeMetrics, mirroredCounter, withTimeout } from '@tollgate/common';
import { ConfigSnapshotService, ReloadTotals } from '@tollgate/config-cache';
import { CustomProviderRegistry } from '@tollgate/custom-providers';
import { LimitStoreFailures } from '@tollgate/limits';
import { EVENT_SINK, EventSink } from '@tollgate/queue';
import { Queue } from 'bullmq';
import { FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { surfaceOf } from '../http/surface';
import { EVENTS_QUEUE } from '../runtime/tokens';

/** From a fast cached answer to a long generation or stream (seconds). */
/**
 * From the gateway's own answers (a 401 takes under a millisecond) to the longest stream the
 * default UPSTREAM_TOTAL_TIMEOUT_MS allows (10 minutes) and past it: the buckets stopped at 5 ms
 * and 300 s, leaving both ends unreadable.
 */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;
/** A scrape must not hang on a Redis outage: the queue gauge is left out of that scrape instead. */
const QUEUE_COUNT_TIMEOUT_MS = 1_000;

/**
 * The status metrics give an exchange whose client left before the answer ended (nginx's
 * convention): the event keeps the status the gateway had, often a 502 from the aborted upstream
 * call, which would otherwise read as the provider failing.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * Views of admin configuration the gateway holds in memory besides the snapshot, each reloaded in
 * the background on its own: the price overrides (admission's) and the custom providers.
 */
export type ConfigView = 'model_prices' | 'custom_providers';

export interface CompletedHttpRequest {
  surface: 'proxy' | 'admin';
  method: string;
  /** The route's pattern (never the raw URL: ids and typos would make unbounded series). */
  route: string;
  status: number;
  seconds: number;
}

/** The metrics view of a finished request: its listener and route pattern (404s share one). */
export function httpCompletion(request: FastifyRequest, status: number, ms: number): CompletedHttpRequest {
  return { surface: surfaceOf(request.raw), method: request.method, route: request.routeOptions.url ?? 'unmatched', status, seconds: ms / 1000 };
}

export interface CompletedExchange {
  /** Already a label (providerLabel). */
  provider: string;
  status: number;
  stream: boolean;
  clientLeft: boolean;
  /** A stream that began (its 200 sent) and then failed: the status says nothing of it. */
  streamFailed: boolean;
  seconds: number;
}

/**
 * The gateway's Prometheus metrics, served on the admin port at /metrics: Node's own (CPU,
 * memory, event-loop delay, GC), every HTTP response on both listeners, every proxied exchange
 * by provider, and the state behind the hot path (events waiting for delivery, the worker's
 * backlog, the config snapshot's size and age). One registry per application, not prom-client's
 * global one, so several gateways in one process (the e2e tests) keep separate counts.
 */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'surface' | 'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'surface' | 'method' | 'route'>;
  private readonly proxyRequests: Counter<'provider' | 'status' | 'stream'>;
  private readonly proxyDuration: Histogram<'provider' | 'stream'>;
  private readonly clientDisconnects: Counter<'provider'>;
  private readonly streamFailures: Counter<'provider'>;
  private readonly configViewReloads = new Map<ConfigView, () => ReloadTotals>();

  constructor(
    @Inject(EVENT_SINK) sink: EventSink,
    @Inject(EVENTS_QUEUE) queue: Queue | null,
    snapshot: ConfigSnapshotService,
    limitStoreFailures: LimitStoreFailures,
    customProviders: CustomProviderRegistry,
    @Inject(LOGGER) logger: Logger,
  ) {
    const registers = [this.registry];
    collectRuntimeMetrics(this.registry);

    this.httpRequests = new Counter({
      name: 'tollgate_http_requests_total',
      help: 'HTTP responses on both listeners by surface, method, route pattern and status (499: the client left a proxied exchange).',
      labelNames: ['surface', 'method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'tollgate_http_request_duration_seconds',
      help: 'Time from the request to the end of its response (for streams, the whole stream).',
      labelNames: ['surface', 'method', 'route'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.proxyRequests = new Counter({
      name: 'tollgate_proxy_requests_total',
      help: 'Proxied exchanges (one per recorded event) by provider (none: refused before routing), status (499: the client left) and stream.',
      labelNames: ['provider', 'status', 'stream'],
      registers,
    });
    this.proxyDuration = new Histogram({
      name: 'tollgate_proxy_request_duration_seconds',
      help: 'Proxied exchanges from admission to the end of the answer, by provider.',
      labelNames: ['provider', 'stream'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.clientDisconnects = new Counter({
      name: 'tollgate_proxy_client_disconnects_total',
      help: 'Proxied exchanges the client left before the answer ended (the upstream call is aborted).',
      labelNames: ['provider'],
      registers,
    });
    this.streamFailures = new Counter({
      name: 'tollgate_proxy_stream_failures_total',
      help: 'Streams that failed after they began (the upstream broke off, timed out or sent an error): counted as status 200 above, the status having been sent.',
      labelNames: ['provider'],
      registers,
    });

    new Gauge({
      name: 'tollgate_events_pending',
      help: 'Events buffered in this gateway, waiting for delivery to the queue (grows while Redis refuses them).',
      registers,
      collect() {
        this.set(sink.stats().pending);
      },
    });
    monotonicCounter('tollgate_events_dropped_total', 'Events dropped because the delivery buffer was full during a long Redis outage.', registers, () => sink.stats().dropped);
    monotonicCounter('tollgate_event_delivery_failures_total', 'Failed deliveries of event batches to the queue (each is retried).', registers, () => sink.stats().deliveryFailures);

    if (queue) {
      // Every scrape fails the same way while Redis is away: a line per interval, not per scrape.
      const countsUnavailableLog = new LogThrottle();
      new Gauge({
        name: 'tollgate_event_queue_jobs',
        help: "Event jobs in the worker's queue by state: the backlog while the worker or Postgres is down.",
        labelNames: ['state'],
        registers,
        async collect() {
          this.reset();
          try {
            // Asked of a connection that is down, the command would wait in ioredis' offline
            // queue after the scrape gave up on it: one more per scrape for the whole outage.
            // queue.client settles only once Redis was reached: a gateway started during an outage
            // hung every scrape (the whole target lost, events_pending included) until it ended.
            const client = await withTimeout(queue.client, QUEUE_COUNT_TIMEOUT_MS, 'queue connection not ready');
            if (client.status !== 'ready') throw new Error('queue connection not ready');
            const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES), QUEUE_COUNT_TIMEOUT_MS, 'queue counts timed out');
            for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
          } catch (error) {
            countsUnavailableLog.note((occurrences) => logger.warn({ err: error, occurrences }, 'metrics: event queue counts unavailable'));
          }
        },
      });
    }

    new Gauge({
      name: 'tollgate_config_entries',
      help: "Entries in this gateway's in-memory config snapshot, by kind.",
      labelNames: ['kind'],
      registers,
      collect() {
        const stats = snapshot.stats();
        this.set({ kind: 'keys' }, stats.keys);
        this.set({ kind: 'provider_settings' }, stats.providerSettings);
        this.set({ kind: 'users' }, stats.users);
      },
    });
    new Gauge({
      name: 'tollgate_config_last_full_load_timestamp_seconds',
      help: 'When the config snapshot last reloaded everything from Postgres (at start, after the change bus reconnects, then every CONFIG_FULL_RELOAD_INTERVAL_MS).',
      registers,
      collect() {
        const at = snapshot.stats().lastFullLoadAt;
        if (at !== null) this.set(at / 1000);
      },
    });
    new Gauge({
      name: 'tollgate_config_last_reload_timestamp_seconds',
      help: 'When the config snapshot was last read from Postgres successfully, in full or what changed (at least every CONFIG_RESYNC_INTERVAL_MS): stops advancing while the replica serves a stale snapshot.',
      registers,
      collect() {
        const at = snapshot.stats().reloads.lastSuccessAt;
        if (at !== null) this.set(at / 1000);
      },
    });
    this.watchConfigReloads('custom_providers', () => customProviders.reloadTotals());
    mirroredCounter({
      name: 'tollgate_config_reload_failures_total',
      help: "Failed reloads of in-memory config by kind: the snapshot's full, changed (what changed since the last read) and announced (one entity a change announcement named); model_prices and custom_providers (the price overrides and custom providers, any reload of them). The last good state keeps serving.",
      labelName: 'kind',
      registers,
      read: () => {
        const failures: Record<string, number> = { ...snapshot.stats().reloads.failures };
        for (const [view, totals] of this.configViewReloads) failures[view] = Object.values(totals().failures).reduce((sum, count) => sum + count, 0);
        return failures;
      },
    });
    mirroredCounter({
      name: 'tollgate_limit_store_failures_total',
      help: 'Failed calls to the limit store (Redis) by operation: limited keys are refused with 503 while admissions fail.',
      labelName: 'operation',
      registers,
      read: () => limitStoreFailures.totals(),
    });
  }

  /**
   * A view reloaded apart from the snapshot: its failed reloads join
   * tollgate_config_reload_failures_total as kind `view`. Its owner registers it (the price
   * overrides are admission's, in the proxy module, which this one does not import).
   */
  watchConfigReloads(view: ConfigView, totals: () => ReloadTotals): void {
    this.configViewReloads.set(view, totals);
  }

  observeHttp(request: CompletedHttpRequest): void {
    const { surface, method, route } = request;
    this.httpRequests.inc({ surface, method, route, status: String(request.status) });
    this.httpDuration.observe({ surface, method, route }, request.seconds);
  }

  observeExchange(exchange: CompletedExchange): void {
    const { provider } = exchange;
    const stream = String(exchange.stream);
    const status = exchange.clientLeft ? CLIENT_CLOSED_REQUEST : exchange.status;
    this.proxyRequests.inc({ provider, status: String(status), stream });
    this.proxyDuration.observe({ provider, stream }, exchange.seconds);
    if (exchange.clientLeft) this.clientDisconnects.inc({ provider });
    if (exchange.streamFailed) this.streamFailures.inc({ provider });
  }

}

/** A counter mirroring a total kept elsewhere: each scrape adds what it grew by since the last one. */
function monotonicCounter(name: string, help: string, registers: Registry[], read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}
