import { Env, GatewayError, createLogger } from '@tollgate/common';
import { createDataSource, createTestDatabase, runMigrationsLocked } from '@tollgate/database';
import { DataSource } from 'typeorm';
import { LimitStore, SettlePlan } from './limit-store';
import { LimitedScope, LimitsService } from './limits.service';
import { MemoryLimitStore } from './memory-limit-store';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const env = { queuePrefix: 'spec', upstreamTotalTimeoutMs: 600_000, eventRetryMaxDelayMs: 300_000 } as Env;
const logger = createLogger('silent', 'limits-spec');

/** A migrated throw-away database holding one key that has spent $0.00001. */
let database: { url: string; drop: () => Promise<void> };
let postgres: DataSource;
let keyId: string;

beforeAll(async () => {
  database = await createTestDatabase(TEST_DATABASE_URL, 'tollgate_limits_spec');
  postgres = createDataSource(database.url);
  await postgres.initialize();
  await runMigrationsLocked(postgres);
  const [row] = await postgres.query(`INSERT INTO api_keys (name, key_hash, spent_usd) VALUES ('spent', 'hash-of-spent', 0.00001) RETURNING key_id::text AS id`);
  keyId = row.id;
}, 30_000);

afterAll(async () => {
  await postgres?.destroy();
  await database?.drop();
});

const keyScope = (costLimitInUsd: number): LimitedScope => ({
  kind: 'key',
  id: keyId,
  rateLimitOverTime: null,
  rateLimitUnit: null,
  costLimitInUsd,
  costLimitInUsdOverTime: null,
  costLimitInUsdUnit: null,
});

/** A replica's view of the shared store whose lock attempt waits for a signal. */
function delayedLock(inner: LimitStore, until: Promise<void>): LimitStore {
  return {
    admit: (plan) => inner.admit(plan),
    settle: (plans, hydratedKey) => inner.settle(plans, hydratedKey),
    hold: (plans, holdMs) => inner.hold(plans, holdMs),
    refresh: (keys, ttlSeconds) => inner.refresh(keys, ttlSeconds),
    hydrate: (increments, key) => inner.hydrate(increments, key),
    isHydrated: (key) => inner.isHydrated(key),
    tryLock: async (key, ttlMs) => {
      await until;
      return inner.tryLock(key, ttlMs);
    },
    unlock: (key) => inner.unlock(key),
    close: () => inner.close(),
  };
}

describe('LimitsService spend rebuild', () => {
  it('rebuilds the counters from Postgres before the first budgeted admission', async () => {
    const service = new LimitsService(new MemoryLimitStore(), postgres, env, logger);
    // $0.00001 spent + $0.00001 fits $0.00002; one nano more does not.
    await expect(service.admit('r1', [keyScope(0.00002)], 0.00001)).resolves.toMatchObject({ reservationMember: 'r1:10000' });
    await expect(service.admit('r2', [keyScope(0.00003)], 0.00001 + 1e-9)).rejects.toBeInstanceOf(GatewayError);
  });

  it('never rebuilds twice when two replicas race for it (the spend would count double)', async () => {
    const shared = new MemoryLimitStore();
    let firstDone!: () => void;
    const first = new LimitsService(shared, postgres, env, logger);
    // The second replica sees no counters, then only gets the lock once the first has rebuilt them and let go.
    const second = new LimitsService(delayedLock(shared, new Promise<void>((resolve) => (firstDone = resolve))), postgres, env, logger);
    const secondRebuild = second.hydrate();
    await new Promise((resolve) => setImmediate(resolve));
    await first.hydrate();
    firstDone();
    await secondRebuild;
    // Counted once: $0.00001 spent, so $0.00001 more fits a $0.00002 limit.
    await expect(first.admit('r1', [keyScope(0.00002)], 0.00001)).resolves.toMatchObject({ reservationMember: 'r1:10000' });
  });
});

describe('LimitsService settlement', () => {
  afterEach(() => jest.restoreAllMocks());
  const input = () => ({ requestId: 'r1', keyId, userId: null, userRegistered: false, createdAt: Date.now(), reservationMember: null, costUsd: 0.001 });

  it('marks a settled request for longer than the longest wait between attempts of its job, and not for hours', async () => {
    const inner = new MemoryLimitStore();
    const settled: SettlePlan[] = [];
    const store: LimitStore = {
      ...delayedLock(inner, Promise.resolve()),
      settle: (plans, hydratedKey) => {
        settled.push(...plans);
        return inner.settle(plans, hydratedKey);
      },
    };
    const service = new LimitsService(store, postgres, env, logger);
    await expect(service.settle([input()])).resolves.toEqual([true]);
    // A retried job settles again: the marker must still be there to make that a no-op.
    await expect(service.settle([input()])).resolves.toEqual([false]);
    const ttlMs = settled[0].markerTtlSeconds * 1000;
    expect(ttlMs).toBeGreaterThanOrEqual(2 * env.eventRetryMaxDelayMs);
    // One marker per priced request: an hour of them is hundreds of MB of Redis at 1,000 req/s.
    expect(ttlMs).toBeLessThan(60 * 60_000);
  });

  it('keeps a request settled through hours of failed attempts when each one renews its marker', async () => {
    let now = Date.UTC(2026, 0, 1);
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const service = new LimitsService(new MemoryLimitStore(), postgres, env, logger);
    await expect(service.settle([input()])).resolves.toEqual([true]);
    // Postgres is down for three hours: an attempt every 5 minutes, each failing after settling.
    for (let attempt = 0; attempt < 36; attempt++) {
      now += env.eventRetryMaxDelayMs;
      await expect(service.settle([input()])).resolves.toEqual([false]);
      await service.keepSettled(['r1']);
    }
    // Without renewals the marker is gone after its TTL and the spend would count twice.
    now += 60 * 60_000;
    await expect(service.settle([input()])).resolves.toEqual([true]);
  });
});

describe('LimitsService while the limit store is down', () => {
  afterEach(() => jest.useRealTimers());

  it('logs the reservations it could not release once per interval, not once per request', async () => {
    jest.useFakeTimers();
    const lines: Array<{ msg: string; reqId?: string; occurrences?: number }> = [];
    const captured = createLogger('warn', 'limits-spec', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const down = (): Promise<never> => Promise.reject(new Error('Redis is down'));
    const store: LimitStore = { ...delayedLock(new MemoryLimitStore(), Promise.resolve()), admit: down, settle: down };
    const service = new LimitsService(store, postgres, env, captured);
    // Every budgeted request of the outage fails, and each leaves a release retrying in the background.
    for (let n = 0; n < 20; n++) await expect(service.admit(`r${n}`, [keyScope(1)], 0.001)).rejects.toBeInstanceOf(GatewayError);
    await jest.advanceTimersByTimeAsync(60_000);
    const unreleased = lines.filter((line) => line.msg.startsWith('reservation of an unanswered admission not released'));
    expect(unreleased).toHaveLength(1);
    expect(unreleased[0]).toMatchObject({ reqId: 'r0', occurrences: 1 });
    // The next line, an interval later, says how many it stands for.
    await expect(service.admit('r20', [keyScope(1)], 0.001)).rejects.toBeInstanceOf(GatewayError);
    await jest.advanceTimersByTimeAsync(60_000);
    const next = lines.filter((line) => line.msg.startsWith('reservation of an unanswered admission not released'));
    expect(next).toHaveLength(2);
    expect(next[1]).toMatchObject({ reqId: 'r20', occurrences: 20 });
  });
});
