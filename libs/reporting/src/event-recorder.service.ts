import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RequestEventData } from '@tollgate/queue';
import { DataSource, EntityManager } from 'typeorm';
import { CostCalculator, TokenDetails } from './cost-calculator';
import { EventEntity } from './event.entity';
import { ModelPricesService } from './model-prices.service';
import { estimateTokens } from './token-estimator';

/**
 * Prices request events and persists them in one transaction per batch. Idempotent on the
 * request id: a redelivered job inserts nothing and adds no spend twice.
 */
@Injectable()
export class EventRecorderService {
  private readonly calculator: CostCalculator;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly prices: ModelPricesService,
  ) {
    this.calculator = new CostCalculator((provider, model) => this.prices.lookup(provider, model));
  }

  /** Prices a batch (tokens estimated where the provider reported none). */
  async price(events: RequestEventData[]): Promise<EventEntity[]> {
    if (events.length === 0) return [];
    await this.prices.refresh();
    const rows: EventEntity[] = [];
    for (const event of dedupeById(events)) {
      rows.push(this.toRow(event));
      // Counting an event's tokens takes up to a second (250,000 characters that are not prose):
      // a batch of them counted in one go held the event loop for minutes, so the worker's probes
      // went unanswered and BullMQ could not renew its jobs' locks (the batch ran again), and a
      // standalone gateway served nobody meanwhile. Other work runs between such events.
      if (event.estimationInput) await new Promise((resolve) => setImmediate(resolve));
    }
    return rows;
  }

  /** The ids among `ids` already recorded (a job delivered again after its batch was persisted). */
  async recordedIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = (await this.dataSource.query('SELECT id FROM events WHERE id = ANY($1::text[])', [ids])) as Array<{ id: string }>;
    return new Set(rows.map((row) => row.id));
  }

  /** Inserts the rows not recorded yet (by id) and adds their cost to spend; returns their ids. */
  async persist(rows: EventEntity[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    return this.dataSource.transaction(async (manager) => {
      const newRows: InsertedRow[] = [];
      for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
        const { sql, params } = toInsertSql(rows.slice(start, start + ROWS_PER_INSERT));
        newRows.push(...((await manager.query(sql, params)) as InsertedRow[]));
      }
      await addKeySpend(manager, sumBy(newRows, (row) => row.key_id));
      await addUserSpend(manager, newRows);
      return new Set(newRows.map((row) => row.id));
    });
  }

  /**
   * An admin's price first, set on the answering model or on the requested one (the name the
   * admin knows: an alias, an Azure deployment, the undated model whose snapshot answered), then
   * the table's for the answering model, else for the requested one (a snapshot the table lacks).
   * Admission reserves at the requested model's price, so settling at the same override agrees.
   */
  private priceWithFallback(event: RequestEventData, promptTokens: number, completionTokens: number, cache: TokenDetails) {
    const requested = event.requestedModel && event.requestedModel !== event.model ? event.requestedModel : null;
    const overriddenRequested = requested !== null && !this.prices.lookup(event.provider, event.model) && this.prices.lookup(event.provider, requested) !== undefined;
    if (overriddenRequested) return this.calculator.price(event.provider, requested, promptTokens, completionTokens, cache);
    const answered = this.calculator.price(event.provider, event.model, promptTokens, completionTokens, cache);
    if (answered.priceKnown || requested === null) return answered;
    return this.calculator.price(event.provider, requested, promptTokens, completionTokens, cache);
  }

  private toRow(event: RequestEventData): EventEntity {
    const usage = cleanUsage(event.usage);
    let promptTokens = usage.promptTokens;
    let completionTokens = usage.completionTokens;
    const estimated = event.estimationInput !== null;
    if (event.estimationInput && event.usage === null) {
      promptTokens = estimateTokens(event.estimationInput.prompt) + (event.estimationInput.promptExtraTokens ?? 0);
      completionTokens = estimatedCompletion(event.estimationInput);
    } else if (event.estimationInput) {
      // Usage without its final output count (a stream cut before it): the generated text is
      // counted, and the provider's number stands when it is higher.
      completionTokens = Math.max(completionTokens, estimatedCompletion(event.estimationInput));
    }
    // Failed requests the provider did not bill cost nothing; anything with tokens is priced.
    const billable = promptTokens + completionTokens > 0;
    const cost = event.unpriced
      ? { costUsd: null, priceKnown: false }
      : billable
        ? this.priceWithFallback(event, promptTokens, completionTokens, {
            readTokens: usage.cacheReadTokens,
            writeTokens: usage.cacheWriteTokens,
            write1hTokens: usage.cacheWrite1hTokens,
            inputAudioTokens: usage.inputAudioTokens,
            outputAudioTokens: usage.outputAudioTokens,
          })
        : { costUsd: 0, priceKnown: true };
    return {
      id: event.id,
      createdAt: new Date(event.createdAt),
      tags: event.tags,
      keyId: event.keyId,
      settingId: event.settingId,
      provider: event.provider,
      model: event.model,
      status: event.status,
      promptTokenCount: promptTokens,
      completionTokenCount: completionTokens,
      tokensEstimated: estimated,
      costInUsd: cost.costUsd,
      priceKnown: cost.priceKnown,
      latencyInMs: Math.max(0, Math.round(event.latencyMs)),
      path: event.path,
      method: event.method,
      stream: event.stream,
      customId: event.customId,
      userId: event.userId,
      errorCode: event.errorCode,
      request: event.request,
      response: event.response,
      degradedFields: null,
    };
  }
}

function estimatedCompletion(input: NonNullable<RequestEventData['estimationInput']>): number {
  return estimateTokens(input.completion) + (input.completionExtraTokens ?? 0);
}

/** The largest count the integer token columns hold. */
const MAX_TOKEN_COUNT = 2_147_483_647;

/**
 * Usage as it is stored and priced: whole, not negative, within the columns, the cached parts
 * within the prompt, the audio parts within their counts (the price table refuses more). An
 * upstream reporting 10.5 or -10 tokens, or more cached tokens than prompt tokens, must not make
 * its event unrecordable (a week of retries, its spend never in Postgres) nor lower a key's spend.
 */
function cleanUsage(usage: RequestEventData['usage']): {
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  inputAudioTokens: number;
  outputAudioTokens: number;
} {
  const promptTokens = tokenCount(usage?.promptTokens);
  const completionTokens = tokenCount(usage?.completionTokens);
  const cacheReadTokens = Math.min(tokenCount(usage?.cacheReadTokens), promptTokens);
  const cacheWriteTokens = Math.min(tokenCount(usage?.cacheWriteTokens), promptTokens - cacheReadTokens);
  return {
    promptTokens,
    completionTokens,
    cacheReadTokens,
    cacheWriteTokens,
    cacheWrite1hTokens: Math.min(tokenCount(usage?.cacheWrite1hTokens), cacheWriteTokens),
    inputAudioTokens: Math.min(tokenCount(usage?.inputAudioTokens), promptTokens),
    outputAudioTokens: Math.min(tokenCount(usage?.outputAudioTokens), completionTokens),
  };
}

function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(Math.round(value), MAX_TOKEN_COUNT) : 0;
}

/** Column order of the batch insert; values come from the row's matching property. */
const COLUMNS: Array<[string, keyof EventEntity]> = [
  ['id', 'id'],
  ['created_at', 'createdAt'],
  ['tags', 'tags'],
  ['key_id', 'keyId'],
  ['setting_id', 'settingId'],
  ['provider', 'provider'],
  ['model', 'model'],
  ['status', 'status'],
  ['prompt_token_count', 'promptTokenCount'],
  ['completion_token_count', 'completionTokenCount'],
  ['tokens_estimated', 'tokensEstimated'],
  ['cost_in_usd', 'costInUsd'],
  ['price_known', 'priceKnown'],
  ['latency_in_ms', 'latencyInMs'],
  ['path', 'path'],
  ['method', 'method'],
  ['stream', 'stream'],
  ['custom_id', 'customId'],
  ['user_id', 'userId'],
  ['error_code', 'errorCode'],
  ['request', 'request'],
  ['response', 'response'],
];

/**
 * Listed only when a row of the statement is degraded, so that a worker upgraded before the
 * gateway migrated the column in still records every other event.
 */
const DEGRADED_FIELDS_COLUMN: [string, keyof EventEntity] = ['degraded_fields', 'degradedFields'];

/**
 * Rows per INSERT: a statement binds at most 65,535 parameters (one per column and row), and
 * EVENT_BATCH_SIZE goes well past that many rows (up to 10,000). A larger batch is several
 * statements in its one transaction.
 */
const ROWS_PER_INSERT = 1_000;

/**
 * One multi-row INSERT that skips ids already stored and returns only the rows it inserted,
 * so spend is added exactly once per event however often a job is delivered.
 */
function toInsertSql(rows: EventEntity[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const columns = rows.some((row) => row.degradedFields !== null) ? [...COLUMNS, DEGRADED_FIELDS_COLUMN] : COLUMNS;
  const tuples = rows.map((row) => {
    const placeholders = columns.map(([, property]) => {
      params.push(row[property]);
      return `$${params.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  return {
    sql: `INSERT INTO events (${columns.map(([column]) => column).join(', ')}) VALUES ${tuples.join(', ')}
          ON CONFLICT (id) DO NOTHING RETURNING id, key_id, user_id, cost_in_usd, created_at`,
    params,
  };
}

interface InsertedRow {
  id: string;
  key_id: string | null;
  user_id: string | null;
  cost_in_usd: string | null;
  created_at: Date;
}

/** Cost of newly inserted events per owner (key or user). */
function sumBy(rows: InsertedRow[], owner: (row: InsertedRow) => string | null): Map<string, number> {
  const totals = new Map<string, number>();
  for (const row of rows) {
    const id = owner(row);
    if (id && row.cost_in_usd !== null) totals.set(id, (totals.get(id) ?? 0) + Number(row.cost_in_usd));
  }
  return totals;
}

/** Adds spend to keys' running totals. */
async function addKeySpend(manager: EntityManager, totals: Map<string, number>): Promise<void> {
  if (totals.size === 0) return;
  // Locked first in one order: an UPDATE ... FROM locks its rows in the order its plan meets them,
  // and two batches (two workers) meeting the same keys in different orders deadlocked.
  await manager.query('SELECT 1 FROM api_keys WHERE key_id = ANY($1::uuid[]) ORDER BY key_id FOR UPDATE', [[...totals.keys()]]);
  await manager.query(
    `UPDATE api_keys SET spent_usd = api_keys.spent_usd + s.cost
       FROM unnest($1::uuid[], $2::numeric[]) AS s(owner, cost)
      WHERE api_keys.key_id = s.owner`,
    [[...totals.keys()], [...totals.values()]],
  );
}

/**
 * Adds spend to users' running totals: the requests made since the user was registered (an
 * event recorded late may predate it), the rule settlement and the Redis rebuild follow too.
 * Unregistered users are skipped.
 */
async function addUserSpend(manager: EntityManager, rows: InsertedRow[]): Promise<void> {
  const spent = rows.filter((row) => row.user_id !== null && row.cost_in_usd !== null);
  if (spent.length === 0) return;
  // Locked first, in the order an admin's update by filter locks users (UsersService.
  // updateMatching): in the UPDATE's own order, the two deadlocked (an admin 500, a failed batch).
  await manager.query('SELECT 1 FROM users WHERE user_id = ANY($1::text[]) ORDER BY created_at, id FOR UPDATE', [[...new Set(spent.map((row) => row.user_id))]]);
  await manager.query(
    `UPDATE users SET spent_usd = users.spent_usd + s.cost
       FROM (SELECT e.owner, SUM(e.cost) AS cost
               FROM unnest($1::text[], $2::numeric[], $3::timestamptz[]) AS e(owner, cost, at)
               JOIN users u ON u.user_id = e.owner AND e.at >= u.created_at
              GROUP BY e.owner) AS s
      WHERE users.user_id = s.owner`,
    [spent.map((row) => row.user_id), spent.map((row) => row.cost_in_usd), spent.map((row) => row.created_at)],
  );
}

function dedupeById(events: RequestEventData[]): RequestEventData[] {
  return [...new Map(events.map((event) => [event.id, event])).values()];
}
