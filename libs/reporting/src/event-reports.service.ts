import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ConcurrencyLimit, GatewayError, GatewayErrorCode, escapeLike } from '@tollgate/common';
import { DataSource } from 'typeorm';
import { EventFilter, eventFilterSql, positional } from './event-filter';
import { REPORT_QUERIES } from './report-queries';

/** Data points one metrics report may hold: intervals, times the groups of each when broken down. */
export const MAX_DATA_POINTS = 10_000;

/** What a metrics data point may be broken down by, and the events column of each. */
export const METRIC_GROUPS = { model: 'model', keyId: 'key_id', customId: 'custom_id', userId: 'user_id' } as const;
export type MetricGroup = keyof typeof METRIC_GROUPS;

export interface MetricsQuery extends EventFilter {
  /** Width of a data point, in seconds. */
  increment: number;
  /** Breakdowns within each data point (BricksLLM's `filters`). */
  groupBy: MetricGroup[];
}

export interface MetricsDataPoint {
  /** Start of the interval, unix seconds. */
  timeStamp: number;
  numberOfRequests: number;
  costInUsd: number;
  /** Sum of the requests' latencies (as BricksLLM reports it). */
  latencyInMs: number;
  promptTokenCount: number;
  completionTokenCount: number;
  /** Requests answered with a 2xx status. */
  successCount: number;
  /** Requests whose cost is unknown (a model without a price): in no costInUsd. */
  unpricedRequestCount: number;
  model: string;
  keyId: string;
  customId: string;
  userId: string;
}

export interface MetricsReport {
  dataPoints: MetricsDataPoint[];
  latencyInMsMedian: number;
  latencyInMs99th: number;
}

export interface KeySpend {
  keyId: string;
  costInUsd: number;
  /** Its requests in the range whose cost is unknown: in no costInUsd. */
  unpricedRequestCount: number;
}

export interface TopKeysQuery {
  start: number;
  end: number;
  keyIds?: string[];
  /** Keys that carry any of these tags now. */
  tags?: string[];
  /** Substring of the key's name (case-insensitive). */
  name?: string;
  revoked?: boolean;
  limit: number;
  offset: number;
  order: 'asc' | 'desc';
}

interface MetricsRow {
  bucket: string;
  requests: string;
  cost: string | null;
  latency: string;
  prompt: string;
  completion: string;
  success: string;
  unpriced: string;
  model?: string | null;
  key_id?: string | null;
  custom_id?: string | null;
  user_id?: string | null;
}

/**
 * Aggregate reports over the events table (the BricksLLM reporting API): time series of
 * requests, cost, tokens and latency, and keys ranked by spend. Admin-only, never on the proxy's
 * path; each report is one query (two for metrics, with the latency percentiles).
 */
@Injectable()
export class EventReportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REPORT_QUERIES) private readonly queries: ConcurrencyLimit,
  ) {}

  metrics(query: MetricsQuery): Promise<MetricsReport> {
    return this.queries.run(() => this.computeMetrics(query));
  }

  /**
   * Keys by what their requests cost in [start, end), with how many of them have an unknown cost
   * (a key whose requests all do is listed at $0, never left out). Keys without requests in the
   * range are not listed.
   */
  topKeys(query: TopKeysQuery): Promise<KeySpend[]> {
    return this.queries.run(() => this.rankKeys(query));
  }

  private async computeMetrics(query: MetricsQuery): Promise<MetricsReport> {
    const filterParams: unknown[] = [];
    const filter = eventFilterSql(query, 'e', positional(filterParams));
    const buckets = bucketStarts(query);
    if (filter.empty) return { dataPoints: buckets.map((timeStamp) => emptyPoint(timeStamp)), latencyInMsMedian: 0, latencyInMs99th: 0 };
    const params = [...filterParams];
    const bind = positional(params);
    const start = bind(query.start);
    const increment = bind(query.increment);
    const groups = query.groupBy.map((group) => METRIC_GROUPS[group]);
    // Each event falls in one interval, computed from its own time: a grouped scan of the
    // filtered events, not a join of every interval with every event.
    const rows: MetricsRow[] = await this.dataSource.query(
      `SELECT ${start}::bigint + floor((extract(epoch FROM e.created_at) - ${start}::bigint) / ${increment}::bigint)::bigint * ${increment}::bigint AS bucket,
              count(*) AS requests, sum(e.cost_in_usd) AS cost, sum(e.latency_in_ms) AS latency,
              sum(e.prompt_token_count) AS prompt, sum(e.completion_token_count) AS completion,
              count(*) FILTER (WHERE e.status BETWEEN 200 AND 299) AS success,
              count(*) FILTER (WHERE e.cost_in_usd IS NULL) AS unpriced
              ${groups.map((column) => `, e.${column}`).join('')}
         FROM events e
        WHERE ${filter.where}
        GROUP BY 1${groups.map((column) => `, e.${column}`).join('')}
        ORDER BY 1${groups.map((column) => `, e.${column}`).join('')}
        LIMIT ${MAX_DATA_POINTS + 1}`,
      params,
    );
    if (rows.length > MAX_DATA_POINTS) {
      throw new GatewayError(
        GatewayErrorCode.InvalidRequest,
        `This report has more than ${MAX_DATA_POINTS} data points (intervals times the groups of its filters): narrow the range, widen the increment or break it down by fewer fields.`,
        'filters',
      );
    }
    const [latency] = (await this.dataSource.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY e.latency_in_ms) AS median, percentile_cont(0.99) WITHIN GROUP (ORDER BY e.latency_in_ms) AS p99
         FROM events e WHERE ${filter.where}`,
      filterParams,
    )) as Array<{ median: number | null; p99: number | null }>;
    return { dataPoints: withEmptyIntervals(buckets, rows.map(toDataPoint)), latencyInMsMedian: latency?.median ?? 0, latencyInMs99th: latency?.p99 ?? 0 };
  }

  private async rankKeys(query: TopKeysQuery): Promise<KeySpend[]> {
    const params: unknown[] = [];
    const bind = positional(params);
    const { where, empty } = eventFilterSql({ start: query.start, end: query.end, keyIds: query.keyIds }, 'e', bind);
    if (empty) return [];
    const clauses = [where];
    if (query.tags && query.tags.length > 0) clauses.push(`k.tags && ${bind(query.tags)}::text[]`);
    if (query.name) clauses.push(`k.name ILIKE ${bind(`%${escapeLike(query.name)}%`)} ESCAPE '\\'`);
    if (query.revoked !== undefined) clauses.push(`k.revoked = ${bind(query.revoked)}`);
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    const rows: Array<{ key_id: string; cost: string; unpriced: string }> = await this.dataSource.query(
      `SELECT e.key_id, coalesce(sum(e.cost_in_usd), 0) AS cost, count(*) FILTER (WHERE e.cost_in_usd IS NULL) AS unpriced
         FROM events e JOIN api_keys k ON k.key_id = e.key_id
        WHERE ${clauses.join(' AND ')}
        GROUP BY e.key_id
        ORDER BY cost ${direction}, e.key_id
        LIMIT ${bind(query.limit)} OFFSET ${bind(query.offset)}`,
      params,
    );
    return rows.map((row) => ({ keyId: row.key_id, costInUsd: Number(row.cost), unpricedRequestCount: Number(row.unpriced) }));
  }
}

/** The start of every interval of [start, end). */
function bucketStarts(query: MetricsQuery): number[] {
  const starts: number[] = [];
  for (let at = query.start; at < query.end; at += query.increment) starts.push(at);
  return starts;
}

function toDataPoint(row: MetricsRow): MetricsDataPoint {
  return {
    timeStamp: Number(row.bucket),
    numberOfRequests: Number(row.requests),
    costInUsd: Number(row.cost ?? 0),
    latencyInMs: Number(row.latency),
    promptTokenCount: Number(row.prompt),
    completionTokenCount: Number(row.completion),
    successCount: Number(row.success),
    unpricedRequestCount: Number(row.unpriced),
    model: row.model ?? '',
    keyId: row.key_id ?? '',
    customId: row.custom_id ?? '',
    userId: row.user_id ?? '',
  };
}

function emptyPoint(timeStamp: number): MetricsDataPoint {
  return { timeStamp, numberOfRequests: 0, costInUsd: 0, latencyInMs: 0, promptTokenCount: 0, completionTokenCount: 0, successCount: 0, unpricedRequestCount: 0, model: '', keyId: '', customId: '', userId: '' };
}

/** Every interval appears, in order: one without events as a zero data point (as BricksLLM's series does). */
function withEmptyIntervals(buckets: number[], points: MetricsDataPoint[]): MetricsDataPoint[] {
  const byBucket = new Map<number, MetricsDataPoint[]>();
  for (const point of points) {
    const bucket = byBucket.get(point.timeStamp);
    if (bucket) bucket.push(point);
    else byBucket.set(point.timeStamp, [point]);
  }
  return buckets.flatMap((bucket) => byBucket.get(bucket) ?? [emptyPoint(bucket)]);
}
