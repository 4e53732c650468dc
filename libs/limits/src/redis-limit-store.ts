import Redis from 'ioredis';
import { ADMIT_SCRIPT, HOLD_SCRIPT, HYDRATE_SCRIPT, SETTLE_SCRIPT } from './limit-scripts';
import { AdmissionOutcome, AdmissionPlan, CounterIncrement, HoldPlan, LimitStore, SettlePlan, addsSpend } from './limit-store';

/**
 * Requests settled (or held) per script call: a whole batch in one call would hold Redis (and
 * every gateway's admission) for over a millisecond; 50 keep each call to a few hundred
 * microseconds.
 */
const SCRIPT_CHUNK = 50;
/** Counters written per rebuild script call (a few hundred microseconds of Redis each). */
const HYDRATE_CHUNK = 500;

type ScriptCommand = (numKeys: number, ...args: Array<string | number>) => Promise<unknown>;

/** Limit counters in Redis: admission and settlement are single Lua scripts (atomic). */
export class RedisLimitStore implements LimitStore {
  private readonly admitScript: ScriptCommand;
  private readonly settleScript: ScriptCommand;
  private readonly holdScript: ScriptCommand;
  private readonly hydrateScript: ScriptCommand;

  constructor(private readonly redis: Redis) {
    // defineCommand sends EVALSHA and falls back to EVAL when Redis has lost the script.
    redis.defineCommand('tollgateAdmit', { lua: ADMIT_SCRIPT });
    redis.defineCommand('tollgateSettle', { lua: SETTLE_SCRIPT });
    redis.defineCommand('tollgateHold', { lua: HOLD_SCRIPT });
    redis.defineCommand('tollgateHydrate', { lua: HYDRATE_SCRIPT });
    const commands = redis as unknown as Record<'tollgateAdmit' | 'tollgateSettle' | 'tollgateHold' | 'tollgateHydrate', ScriptCommand>;
    this.admitScript = commands.tollgateAdmit.bind(redis);
    this.settleScript = commands.tollgateSettle.bind(redis);
    this.holdScript = commands.tollgateHold.bind(redis);
    this.hydrateScript = commands.tollgateHydrate.bind(redis);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  async admit(plan: AdmissionPlan): Promise<AdmissionOutcome> {
    const keys = [plan.hydratedKey, ...plan.rate.map((r) => r.counterBase), ...plan.budgets.flatMap((b) => [b.reservations.setKey, b.reservations.totalKey, b.spentKey])];
    const args = [
      plan.rate.length,
      plan.budgets.length,
      plan.requestId,
      plan.amountNano,
      plan.reservationTtlMs,
      ...plan.rate.flatMap((r) => [r.limit, r.windowSeconds]),
      ...plan.budgets.map((b) => b.limitNano),
    ];
    const reply = (await this.admitScript(keys.length, ...keys, ...args)) as number[];
    switch (reply[0]) {
      case 0:
        return { kind: 'admitted', rate: reply[1] >= 0 ? { limit: reply[1], remaining: reply[2], resetSeconds: reply[3] } : null };
      case 1:
        return { kind: 'rate-limited', index: reply[1] - 1, limit: reply[2], resetSeconds: reply[3] };
      case 2:
        return { kind: 'budget-exhausted', index: reply[1] - 1, limitNano: reply[2], committedNano: reply[3] };
      default:
        return { kind: 'needs-hydration' };
    }
  }

  async settle(plans: SettlePlan[], hydratedKey: string): Promise<boolean[] | 'needs-hydration'> {
    const chunks = await Promise.all(inChunks(plans).map((chunk) => this.settleChunk(chunk, hydratedKey)));
    // Chunks settled before one found the counters missing stay settled: their markers make
    // settling them again after the rebuild a no-op.
    return chunks.some((flags) => flags === null) ? 'needs-hydration' : (chunks as boolean[][]).flat();
  }

  private async settleChunk(plans: SettlePlan[], hydratedKey: string): Promise<boolean[] | null> {
    const keys: string[] = [hydratedKey];
    const args: Array<string | number> = [plans.some(addsSpend) ? 1 : 0];
    for (const plan of plans) {
      keys.push(plan.markerKey, ...plan.reservations.flatMap((r) => [r.setKey, r.totalKey]), ...plan.counters.map((c) => c.key));
      args.push(plan.reservations.length, plan.counters.length, plan.reservationMember ?? '', plan.actualNano, plan.markerTtlSeconds, ...plan.counters.map((c) => c.ttlSeconds));
    }
    const flags = (await this.settleScript(keys.length, ...keys, ...args)) as number[];
    if (flags[0] === -1) return null;
    return flags.map((flag) => flag === 1);
  }

  async refresh(keys: string[], ttlSeconds: number): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    // EXPIRE on a missing key does nothing: only markers already written are renewed.
    for (const key of keys) pipeline.expire(key, ttlSeconds);
    await pipeline.exec();
  }

  async hold(plans: HoldPlan[], holdMs: number): Promise<void> {
    await Promise.all(inChunks(plans).map((chunk) => this.holdChunk(chunk, holdMs)));
  }

  private async holdChunk(plans: HoldPlan[], holdMs: number): Promise<void> {
    const keys: string[] = [];
    const members: string[] = [];
    for (const plan of plans) {
      for (const reservation of plan.reservations) {
        keys.push(reservation.setKey, reservation.totalKey);
        members.push(plan.member);
      }
    }
    if (keys.length > 0) await this.holdScript(keys.length, ...keys, holdMs, ...members);
  }

  async hydrate(increments: Array<CounterIncrement & { nano: number }>, hydratedKey: string): Promise<void> {
    for (let start = 0; start < increments.length; start += HYDRATE_CHUNK) {
      const chunk = increments.slice(start, start + HYDRATE_CHUNK);
      const written = (await this.hydrateScript(1 + chunk.length, hydratedKey, ...chunk.map((c) => c.key), ...chunk.flatMap((c) => [c.nano, c.ttlSeconds]))) as number;
      // Another process finished a rebuild meanwhile: its counters stand.
      if (written === 0) return;
    }
    await this.redis.set(hydratedKey, String(Date.now()), 'NX');
  }

  async isHydrated(hydratedKey: string): Promise<boolean> {
    return (await this.redis.exists(hydratedKey)) === 1;
  }

  async tryLock(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(key, '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlock(key: string): Promise<void> {
    await this.redis.del(key);
  }
}

/** Plans in script-sized chunks (see SCRIPT_CHUNK). */
function inChunks<T>(plans: T[]): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < plans.length; start += SCRIPT_CHUNK) chunks.push(plans.slice(start, start + SCRIPT_CHUNK));
  return chunks;
}
