import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ENV, Env, GatewayError, GatewayErrorCode, LONGEST_SDK_RETRY_WAIT_SECONDS, LOGGER, LogThrottle, Logger } from '@tollgate/common';
import { EVENT_JOB_ATTEMPTS } from '@tollgate/queue';
import { DataSource } from 'typeorm';
import { LimitKeys, ScopeKind } from './limit-keys';
import { AdmissionOutcome, AdmissionPlan, BudgetCheck, CounterIncrement, HoldPlan, LIMIT_STORE, LimitStore, RateCheck, SettlePlan } from './limit-store';
import { BUDGET_UNITS, BudgetUnit, RATE_WINDOW_SECONDS, budgetPeriod, toNanoUsd } from './limit-windows';

/** When the reservation of an admission Redis did not answer is released: at once, then while Redis recovers. */
const UNANSWERED_RELEASE_DELAYS_MS = [0, 1_000, 5_000, 30_000];

/** The limits of a key or a user, as the snapshot holds them. */
export interface LimitedScope {
  kind: ScopeKind;
  id: string;
  rateLimitOverTime: number | null;
  rateLimitUnit: string | null;
  costLimitInUsd: number | null;
  costLimitInUsdOverTime: number | null;
  costLimitInUsdUnit: string | null;
}

export interface Admission {
  /** The tightest rate limit, for the x-ratelimit-* headers; null when no rate limit applies. */
  rate: { limit: number; remaining: number; resetSeconds: number } | null;
  /** The reservation to settle, when a budget applied. */
  reservationMember: string | null;
}

export interface SettleInput {
  requestId: string;
  keyId: string | null;
  /** The client's user id; its spend is counted only when it names a user registered before the request (see userRegistrations). */
  userId: string | null;
  /** Whether userId names a user registered by the time of the request, whose counters the spend goes to. */
  userRegistered: boolean;
  createdAt: number;
  reservationMember: string | null;
  costUsd: number | null;
}

export function hasBudget(scope: LimitedScope): boolean {
  return scope.costLimitInUsd !== null || (scope.costLimitInUsdOverTime !== null && scope.costLimitInUsdUnit !== null);
}

export function hasLimits(scope: LimitedScope): boolean {
  return hasBudget(scope) || (scope.rateLimitOverTime !== null && scope.rateLimitUnit !== null);
}

/**
 * Rate limits and USD budgets that hold under concurrency and across replicas:
 * - rate: fixed windows counted at admission, in one atomic script, on Redis's clock;
 * - budgets: reserve the request's worst-case cost at admission, settle to the actual cost
 *   when the worker prices the event (or release it after a timeout if it never is).
 * Postgres stays the source of truth: after Redis loses its data, spend counters are rebuilt
 * from it before any budgeted request is admitted again.
 */
@Injectable()
export class LimitsService {
  private readonly keys: LimitKeys;
  private readonly logger: Logger;
  private readonly unavailableLog = new LogThrottle();
  /** Every budgeted request of a Redis outage leaves a release that gives up: a line per interval, not per request. */
  private readonly unreleasedLog = new LogThrottle();
  private hydrating: Promise<void> | null = null;
  /**
   * How long a reservation lasts until its event is queued (then it is held, see
   * reservationHoldMs): longer than the upstream call may take, with room (at least a minute)
   * for delivering the event. If the gateway dies before delivering it, the reservation frees
   * itself after this.
   */
  private readonly reservationTtlMs: number;
  /**
   * Once its event is queued, a reservation is held as long as the worker may still retry the
   * event, and a day more: the worker releases it when it settles the event, so neither a worker
   * outage nor a Postgres one (the worker cannot settle without it) lets a budget be spent
   * twice. One whose event is never settled frees itself after this.
   */
  private readonly reservationHoldMs: number;
  /**
   * How long a settled request's marker lives. Settlement precedes persisting, so a job that
   * fails after settling runs again and must find its marker: every failed attempt renews it
   * (keepSettled), so it only has to outlive the longest wait between attempts, twice over, and
   * at least 20 minutes. Not longer: there is one marker per priced request, about 150 bytes of
   * Redis each; an hour's worth at 1,000 requests/s held 530 MB, 20 minutes hold 180 MB.
   */
  private readonly settledMarkerTtlSeconds: number;

  constructor(
    @Inject(LIMIT_STORE) private readonly store: LimitStore,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ENV) env: Env,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.keys = new LimitKeys(env.queuePrefix);
    this.reservationTtlMs = Math.max(Math.ceil(env.upstreamTotalTimeoutMs * 1.5), env.upstreamTotalTimeoutMs + 60_000);
    this.reservationHoldMs = EVENT_JOB_ATTEMPTS * env.eventRetryMaxDelayMs + 86_400_000;
    this.settledMarkerTtlSeconds = Math.max(20 * 60, Math.ceil((2 * env.eventRetryMaxDelayMs) / 1000));
    this.logger = logger.child({ context: 'Limits' });
  }

  async admit(requestId: string, scopes: LimitedScope[], worstCaseUsd: number): Promise<Admission> {
    const plan = this.plan(requestId, scopes, worstCaseUsd);
    let outcome = await this.guard(() => this.tryAdmit(plan), requestId);
    if (outcome.kind === 'needs-hydration') {
      await this.guard(() => this.hydrate(), requestId);
      outcome = await this.guard(() => this.tryAdmit(plan), requestId);
    }
    switch (outcome.kind) {
      case 'admitted':
        return { rate: outcome.rate, reservationMember: plan.budgets.length > 0 ? `${requestId}:${plan.amountNano}` : null };
      case 'rate-limited': {
        const scope = this.rateScopes(scopes)[outcome.index];
        throw new GatewayError(
          GatewayErrorCode.RateLimitExceeded,
          `Rate limit reached for this ${scope.kind}: ${outcome.limit} ${outcome.limit === 1 ? 'request' : 'requests'} per ${unitName(scope.rateLimitUnit!)}. Try again in ${outcome.resetSeconds}s.`,
          null,
          {
            'retry-after': String(outcome.resetSeconds),
            ...rateLimitHeaders({ limit: outcome.limit, remaining: 0, resetSeconds: outcome.resetSeconds }),
            ...(outcome.resetSeconds > LONGEST_SDK_RETRY_WAIT_SECONDS ? { 'x-should-retry': 'false' } : {}),
          },
        );
      }
      case 'budget-exhausted': {
        const check = plan.budgets[outcome.index];
        throw new GatewayError(
          GatewayErrorCode.CostLimitExceeded,
          `This request could cost more than the ${check.description} left (limit $${outcome.limitNano / 1e9}, committed $${(outcome.committedNano / 1e9).toFixed(6)}).`,
          null,
          // The official SDKs honour this header and do not retry.
          { 'x-should-retry': 'false' },
        );
      }
      case 'needs-hydration':
        throw unavailable('spend counters are being rebuilt');
    }
  }

  private async tryAdmit(plan: AdmissionPlan): Promise<AdmissionOutcome> {
    try {
      return await this.store.admit(plan);
    } catch (error) {
      if (plan.budgets.length > 0) this.releaseUnanswered(plan);
      throw error;
    }
  }

  /**
   * An admission the store did not answer in time may still run there: a slow or frozen Redis
   * runs the script when it catches up, and would hold a reservation for a request that was
   * refused, budget nobody spends, until its TTL (15 minutes by default). It is released as a
   * request settled at no cost, in the background, a few times until Redis answers; on the same
   * connection the release runs after the admission it undoes.
   */
  private releaseUnanswered(plan: AdmissionPlan): void {
    const reservations = [...new Map(plan.budgets.map((budget) => [budget.reservations.setKey, budget.reservations])).values()];
    const release: SettlePlan = {
      markerKey: this.keys.settled(plan.requestId),
      markerTtlSeconds: this.settledMarkerTtlSeconds,
      reservations,
      reservationMember: `${plan.requestId}:${plan.amountNano}`,
      actualNano: 0,
      counters: [],
    };
    const attempt = (index: number): void => {
      // A release adds no spend: it never waits for counters to be rebuilt.
      this.store.settle([release], this.keys.hydrated).catch((error: unknown) => {
        if (index + 1 >= UNANSWERED_RELEASE_DELAYS_MS.length) {
          this.unreleasedLog.note((occurrences) =>
            this.logger.warn({ err: error, reqId: plan.requestId, occurrences }, 'reservation of an unanswered admission not released; it expires at its TTL'),
          );
          return;
        }
        setTimeout(() => attempt(index + 1), UNANSWERED_RELEASE_DELAYS_MS[index + 1]).unref();
      });
    };
    attempt(0);
  }

  /**
   * Worker side: for each request, release the reservation and add the actual cost to every
   * counter, once. Spend is counted for the key and for a registered user only: user ids are
   * whatever clients send, and counting every one of them would grow Redis without bound.
   * Returns, per input, whether it was settled now (false: nothing to do, or settled before).
   */
  async settle(inputs: SettleInput[]): Promise<boolean[]> {
    const plans = inputs.map((input) => this.settlePlan(input));
    const due = plans.filter((plan): plan is SettlePlan => plan !== null);
    const settled = due.length > 0 ? await this.settleHydrated(due) : [];
    let next = 0;
    return plans.map((plan) => plan !== null && settled[next++]);
  }

  /**
   * Spend is added only to counters rebuilt from Postgres (see SETTLE_SCRIPT): when they are
   * not (the first settlement of a deployment that had no budget yet, or after Redis lost them),
   * they are rebuilt first, from what Postgres holds before this batch is stored, and the batch
   * settled then: counted once, by the rebuild for what came before and by this for the batch.
   */
  private async settleHydrated(plans: SettlePlan[]): Promise<boolean[]> {
    const first = await this.store.settle(plans, this.keys.hydrated);
    if (first !== 'needs-hydration') return first;
    await this.hydrate();
    const second = await this.store.settle(plans, this.keys.hydrated);
    if (second === 'needs-hydration') throw unavailable('spend counters are being rebuilt');
    return second;
  }

  /**
   * Gateway side, once events are queued for the worker (durable): holds their reservations
   * until the worker settles them, however long that takes (see reservationHoldMs).
   */
  async holdUntilSettled(events: Array<Pick<SettleInput, 'keyId' | 'userId' | 'reservationMember'>>): Promise<void> {
    const plans: HoldPlan[] = [];
    for (const event of events) {
      if (event.reservationMember === null) continue;
      plans.push({ reservations: this.scopesOf(event).map(([kind, id]) => this.keys.reservations(kind, id)), member: event.reservationMember });
    }
    if (plans.length > 0) await this.store.hold(plans, this.reservationHoldMs);
  }

  /**
   * Worker side, when recording a batch failed and its jobs will run again: the requests it
   * settled stay settled until then, however many attempts it takes.
   */
  async keepSettled(requestIds: string[]): Promise<void> {
    await this.store.refresh(
      requestIds.map((id) => this.keys.settled(id)),
      this.settledMarkerTtlSeconds,
    );
  }

  /** The scopes a request's reservation was made in: its key, and the user it named. */
  private scopesOf(input: Pick<SettleInput, 'keyId' | 'userId'>): Array<[ScopeKind, string]> {
    const scopes: Array<[ScopeKind, string]> = [];
    if (input.keyId) scopes.push(['key', input.keyId]);
    if (input.userId) scopes.push(['user', input.userId]);
    return scopes;
  }

  /** What settling one request writes; null when nothing was reserved and nothing spent. */
  private settlePlan(input: SettleInput): SettlePlan | null {
    const actualNano = toNanoUsd(input.costUsd ?? 0);
    // Nothing reserved, nothing spent: nothing to do (and no marker to keep).
    if (input.reservationMember === null && actualNano <= 0) return null;
    const released = this.scopesOf(input);
    const counted = released.filter(([kind]) => kind === 'key' || input.userRegistered);
    const counters: CounterIncrement[] = counted.flatMap(([kind, id]) => [
      { key: this.keys.lifetimeSpent(kind, id), ttlSeconds: 0 },
      ...BUDGET_UNITS.map((unit) => this.keys.periodSpent(kind, id, unit, input.createdAt)),
    ]);
    return {
      markerKey: this.keys.settled(input.requestId),
      markerTtlSeconds: this.settledMarkerTtlSeconds,
      reservations: released.map(([kind, id]) => this.keys.reservations(kind, id)),
      reservationMember: input.reservationMember,
      actualNano,
      counters,
    };
  }

  /**
   * When each of these client user ids was registered, for those that name a user, in epoch ms
   * (one query per batch; rounded up: an event of the same millisecond but before it in
   * microseconds predates it, as Postgres compares them).
   */
  async userRegistrations(userIds: string[]): Promise<Map<string, number>> {
    const distinct = [...new Set(userIds)];
    if (distinct.length === 0) return new Map();
    const rows: Array<{ user_id: string; registered_ms: string }> = await this.dataSource.query(
      'SELECT user_id, ceil(extract(epoch FROM created_at) * 1000) AS registered_ms FROM users WHERE user_id = ANY($1::text[])',
      [distinct],
    );
    return new Map(rows.map((row) => [row.user_id, Number(row.registered_ms)]));
  }

  /**
   * Rebuilds spend counters from Postgres (one process at a time; the others wait). Spend is
   * added only to rebuilt counters (SETTLE_SCRIPT), so Postgres read now holds everything
   * settled before: the counters are set to it, and a rebuild that finishes after another one
   * did writes nothing. Requests settled but not yet stored when Redis lost its data are the
   * only ones it can miss.
   */
  hydrate(): Promise<void> {
    this.hydrating ??= this.hydrateOnce().finally(() => {
      this.hydrating = null;
    });
    return this.hydrating;
  }

  private async hydrateOnce(): Promise<void> {
    if (await this.store.isHydrated(this.keys.hydrated)) return;
    if (!(await this.store.tryLock(this.keys.hydrationLock, 30_000))) {
      for (let attempt = 0; attempt < 40; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (await this.store.isHydrated(this.keys.hydrated)) return;
      }
      throw unavailable('another process is rebuilding spend counters');
    }
    try {
      // Another replica may have rebuilt the counters and released the lock between our check
      // and our lock: rebuilding again would add the same spend twice.
      if (await this.store.isHydrated(this.keys.hydrated)) return;
      const now = Date.now();
      const increments: Array<CounterIncrement & { nano: number }> = [];
      const add = (kind: ScopeKind, rows: Array<{ id: string; spent: string }>, target: (id: string) => CounterIncrement) => {
        for (const row of rows) {
          const nano = toNanoUsd(Number(row.spent));
          if (nano > 0) increments.push({ ...target(row.id), nano });
        }
      };
      add('key', await this.dataSource.query(`SELECT key_id::text AS id, spent_usd AS spent FROM api_keys WHERE spent_usd > 0`), (id) => ({ key: this.keys.lifetimeSpent('key', id), ttlSeconds: 0 }));
      // A user's spend is what its requests cost since it was registered, as settlement counts it.
      const userSpend = (since: number) =>
        this.dataSource.query(
          `SELECT e.user_id AS id, SUM(e.cost_in_usd) AS spent FROM events e JOIN users u ON u.user_id = e.user_id
            WHERE e.cost_in_usd > 0 AND e.created_at >= u.created_at AND e.created_at >= to_timestamp($1) GROUP BY e.user_id`,
          [since],
        );
      add('user', await userSpend(0), (id) => ({ key: this.keys.lifetimeSpent('user', id), ttlSeconds: 0 }));
      for (const unit of BUDGET_UNITS) {
        const since = budgetPeriod(unit, now).start;
        const keyRows = await this.dataSource.query(
          `SELECT key_id::text AS id, SUM(cost_in_usd) AS spent FROM events
            WHERE key_id IS NOT NULL AND cost_in_usd > 0 AND created_at >= to_timestamp($1) GROUP BY key_id`,
          [since],
        );
        add('key', keyRows, (id) => this.keys.periodSpent('key', id, unit, now));
        add('user', await userSpend(since), (id) => this.keys.periodSpent('user', id, unit, now));
      }
      await this.store.hydrate(increments, this.keys.hydrated);
      this.logger.info({ counters: increments.length }, 'spend counters rebuilt from Postgres');
    } finally {
      await this.store.unlock(this.keys.hydrationLock).catch(() => undefined);
    }
  }

  private plan(requestId: string, scopes: LimitedScope[], worstCaseUsd: number): AdmissionPlan & { budgets: Array<BudgetCheck & { description: string }> } {
    const rate: RateCheck[] = this.rateScopes(scopes).map((scope) => ({
      counterBase: this.keys.rate(scope.kind, scope.id, scope.rateLimitUnit!),
      limit: scope.rateLimitOverTime!,
      windowSeconds: RATE_WINDOW_SECONDS[scope.rateLimitUnit!],
    }));
    const now = Date.now();
    const budgets: Array<BudgetCheck & { description: string }> = [];
    for (const scope of scopes) {
      const reservations = this.keys.reservations(scope.kind, scope.id);
      if (scope.costLimitInUsd !== null) {
        budgets.push({
          reservations,
          spentKey: this.keys.lifetimeSpent(scope.kind, scope.id),
          limitNano: toNanoUsd(scope.costLimitInUsd),
          description: `${scope.kind}'s total cost limit`,
        });
      }
      if (scope.costLimitInUsdOverTime !== null && scope.costLimitInUsdUnit !== null) {
        const unit = scope.costLimitInUsdUnit as BudgetUnit;
        budgets.push({
          reservations,
          spentKey: this.keys.periodSpent(scope.kind, scope.id, unit, now).key,
          limitNano: toNanoUsd(scope.costLimitInUsdOverTime),
          description: `${scope.kind}'s cost limit per ${unitName(unit)}`,
        });
      }
    }
    return {
      hydratedKey: this.keys.hydrated,
      rate,
      budgets,
      requestId,
      // Rounded up: a reservation never undershoots the worst case.
      amountNano: Math.ceil(worstCaseUsd * 1e9),
      reservationTtlMs: this.reservationTtlMs,
    };
  }

  private rateScopes(scopes: LimitedScope[]): LimitedScope[] {
    return scopes.filter((scope) => scope.rateLimitOverTime !== null && scope.rateLimitUnit !== null);
  }

  /**
   * Any failure of the limit store fails closed, quickly, with a retryable 503; logged once per
   * incident (every request of limited keys fails while it lasts), with the request it hit.
   */
  private async guard<T>(operation: () => Promise<T>, requestId?: string): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      this.unavailableLog.note((occurrences) => this.logger.warn({ err: error, reqId: requestId, occurrences }, 'limit store unavailable; failing closed'));
      throw unavailable('the limit store is unreachable');
    }
  }
}

export function rateLimitHeaders(rate: { limit: number; remaining: number; resetSeconds: number }): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(rate.limit),
    'x-ratelimit-remaining-requests': String(Math.max(0, rate.remaining)),
    'x-ratelimit-reset-requests': `${rate.resetSeconds}s`,
  };
}

function unavailable(reason: string): GatewayError {
  return new GatewayError(GatewayErrorCode.LimitsUnavailable, `Limits cannot be checked right now (${reason}); try again shortly.`, null, {
    'retry-after': '1',
  });
}

function unitName(unit: string): string {
  return { s: 'second', m: 'minute', h: 'hour', d: 'day', mo: 'month' }[unit] ?? unit;
}
