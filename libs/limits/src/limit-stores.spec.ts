import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { AdmissionOutcome, AdmissionPlan, LimitStore, SettlePlan } from './limit-store';
import { MemoryLimitStore } from './memory-limit-store';
import { RedisLimitStore } from './redis-limit-store';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The two limit stores must admit exactly alike: Redis (Lua, production, every replica) and
 * memory (standalone mode). Each scenario runs against both, with real concurrency; the Redis
 * one against the test Redis under a unique prefix.
 */
describe.each([
  ['MemoryLimitStore', () => ({ store: new MemoryLimitStore() as LimitStore, close: async () => undefined })],
  [
    'RedisLimitStore',
    () => {
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
      return { store: new RedisLimitStore(redis) as LimitStore, close: async () => redis.disconnect() };
    },
  ],
])('%s', (_name, create) => {
  let store: LimitStore;
  let close: () => Promise<void>;
  let prefix: string;
  const prefixes: string[] = [];
  let requestCounter = 0;

  beforeAll(() => ({ store, close } = create()));
  afterAll(async () => {
    if (store instanceof RedisLimitStore) {
      const redis = new Redis(TEST_REDIS_URL);
      for (const used of prefixes) {
        const keys = await redis.keys(`${used}*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    }
    await close();
  });
  beforeEach(async () => {
    prefix = `tgspec-${randomBytes(4).toString('hex')}:`;
    prefixes.push(prefix);
    await store.hydrate([], `${prefix}hydrated`);
  });

  const plan = (fields: Partial<AdmissionPlan>): AdmissionPlan => ({
    hydratedKey: `${prefix}hydrated`,
    rate: [],
    budgets: [],
    requestId: `req-${++requestCounter}`,
    amountNano: 0,
    reservationTtlMs: 60_000,
    ...fields,
  });
  const reservations = () => ({ setKey: `${prefix}reserved`, totalKey: `${prefix}reserved-total` });
  const budget = (limitNano: number, spentKey = `${prefix}spent`) => ({ reservations: reservations(), spentKey, limitNano });
  const settlePlan = (requestId: string, amountNano: number, actualNano: number): SettlePlan => ({
    markerKey: `${prefix}settled:${requestId}`,
    markerTtlSeconds: 60,
    reservations: [reservations()],
    reservationMember: `${requestId}:${amountNano}`,
    actualNano,
    counters: [{ key: `${prefix}spent`, ttlSeconds: 0 }],
  });
  const kinds = (outcomes: AdmissionOutcome[]) => outcomes.map((o) => o.kind);

  it('admits exactly the rate limit out of concurrent requests, with distinct remaining counts', async () => {
    const rate = [{ counterBase: `${prefix}rate`, limit: 10, windowSeconds: 3_600 }];
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.admit(plan({ rate }))));
    const admitted = outcomes.filter((o): o is Extract<AdmissionOutcome, { kind: 'admitted' }> => o.kind === 'admitted');
    expect(admitted).toHaveLength(10);
    expect(admitted.map((o) => o.rate!.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const outcome of outcomes.filter((o) => o.kind === 'rate-limited')) {
      expect(outcome).toMatchObject({ kind: 'rate-limited', index: 0, limit: 10 });
      const reset = (outcome as { resetSeconds: number }).resetSeconds;
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(3_600);
    }
  });

  it('is all-or-nothing: a request refused by one limit consumes nothing of the others', async () => {
    const loose = { counterBase: `${prefix}loose`, limit: 100, windowSeconds: 60 };
    const tight = { counterBase: `${prefix}tight`, limit: 1, windowSeconds: 60 };
    expect((await store.admit(plan({ rate: [loose, tight] }))).kind).toBe('admitted');
    expect(await store.admit(plan({ rate: [loose, tight] }))).toMatchObject({ kind: 'rate-limited', index: 1 });
    expect(await store.admit(plan({ rate: [loose, tight], budgets: [budget(10)], amountNano: 11 }))).toMatchObject({ kind: 'rate-limited' });
    expect(await store.admit(plan({ rate: [loose], budgets: [budget(10)], amountNano: 11 }))).toMatchObject({ kind: 'budget-exhausted', index: 0, limitNano: 10 });
    // Only the first request counted against the loose limit: 99 left.
    expect(await store.admit(plan({ rate: [loose] }))).toMatchObject({ kind: 'admitted', rate: { limit: 100, remaining: 98 } });
    // And the refused budget request reserved nothing.
    expect(await store.admit(plan({ budgets: [budget(10)], amountNano: 10 }))).toMatchObject({ kind: 'admitted' });
  });

  it('reserves concurrently without ever committing more than the budget, then settles to the actual cost once', async () => {
    const plans = Array.from({ length: 50 }, () => plan({ budgets: [budget(50)], amountNano: 7 }));
    const outcomes = await Promise.all(plans.map((p) => store.admit(p)));
    expect(kinds(outcomes).filter((k) => k === 'admitted')).toHaveLength(7);
    expect(outcomes.find((o) => o.kind === 'budget-exhausted')).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: 50, committedNano: 49 });

    // Three of the seven finish, each costing 5 of the 7 reserved, then a fourth costing 7:
    // 22 spent + 3 × 7 reserved = 43.
    const admitted = plans.filter((_, i) => outcomes[i].kind === 'admitted').map((p) => p.requestId);
    expect(await store.settle(admitted.slice(0, 3).map((id) => settlePlan(id, 7, 5)), `${prefix}hydrated`)).toEqual([true, true, true]);
    // Settled before, settled now: each request on its own.
    expect(await store.settle([settlePlan(admitted[0], 7, 5), settlePlan(admitted[3], 7, 7)], `${prefix}hydrated`)).toEqual([false, true]);
    expect(await store.admit(plan({ budgets: [budget(50)], amountNano: 7 }))).toMatchObject({ kind: 'admitted' });
    expect(await store.admit(plan({ budgets: [budget(50)], amountNano: 1 }))).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: 50, committedNano: 50 });
  });

  it('settles a batch larger than one script call: every request once, in order, even when repeated in the batch', async () => {
    const plans = Array.from({ length: 120 }, () => plan({ budgets: [budget(10_000)], amountNano: 50 }));
    const outcomes = await Promise.all(plans.map((p) => store.admit(p)));
    expect(kinds(outcomes).every((k) => k === 'admitted')).toBe(true);
    const settles = plans.map((p) => settlePlan(p.requestId, 50, 10));
    const repeats = plans.slice(0, 5).map((p) => settlePlan(p.requestId, 50, 10));
    expect(await store.settle([...settles, ...repeats], `${prefix}hydrated`)).toEqual([...settles.map(() => true), ...repeats.map(() => false)]);
    // 120 × 10 spent, nothing reserved any more: 8,800 more fits the 10,000 budget, 8,801 does not.
    expect(await store.admit(plan({ budgets: [budget(10_000)], amountNano: 8_801 }))).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: 10_000, committedNano: 1_200 });
    expect((await store.admit(plan({ budgets: [budget(10_000)], amountNano: 8_800 }))).kind).toBe('admitted');
  });

  it('frees a reservation that is never settled once it expires', async () => {
    expect((await store.admit(plan({ budgets: [budget(10)], amountNano: 10, reservationTtlMs: 100 }))).kind).toBe('admitted');
    expect((await store.admit(plan({ budgets: [budget(10)], amountNano: 10 }))).kind).toBe('budget-exhausted');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await store.admit(plan({ budgets: [budget(10)], amountNano: 10 }))).kind).toBe('admitted');
  });

  it('frees an expired reservation once: its late settlement adds the cost but releases nothing more', async () => {
    const expiring = plan({ budgets: [budget(10)], amountNano: 6, reservationTtlMs: 100 });
    expect((await store.admit(expiring)).kind).toBe('admitted');
    expect((await store.admit(plan({ budgets: [budget(10)], amountNano: 3 }))).kind).toBe('admitted');
    await new Promise((resolve) => setTimeout(resolve, 150));
    // The 6 expired: 3 + 7 fits.
    expect((await store.admit(plan({ budgets: [budget(10)], amountNano: 7 }))).kind).toBe('admitted');
    // Its event arrives late, costing 2: spent 2, reserved 3 + 7. Releasing the 6 again would say 6.
    expect(await store.settle([settlePlan(expiring.requestId, 6, 2)], `${prefix}hydrated`)).toEqual([true]);
    expect(await store.admit(plan({ budgets: [budget(10)], amountNano: 1 }))).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: 10, committedNano: 12 });
  });

  it('holds a queued request\'s reservation past its admission TTL until it is settled, and never revives a settled one', async () => {
    const queued = plan({ budgets: [budget(10)], amountNano: 6, reservationTtlMs: 100 });
    const settledFirst = plan({ budgets: [budget(10)], amountNano: 3, reservationTtlMs: 100 });
    expect((await store.admit(queued)).kind).toBe('admitted');
    expect((await store.admit(settledFirst)).kind).toBe('admitted');
    // The worker was quicker than the hold for one of them.
    expect(await store.settle([settlePlan(settledFirst.requestId, 3, 3)], `${prefix}hydrated`)).toEqual([true]);
    await store.hold(
      [queued, settledFirst].map((p) => ({ reservations: [reservations()], member: `${p.requestId}:${p.amountNano}` })),
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Past the admission TTL the 6 still counts: spent 3 + reserved 6 leaves 1.
    expect(await store.admit(plan({ budgets: [budget(10)], amountNano: 2 }))).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: 10, committedNano: 9 });
    expect(await store.settle([settlePlan(queued.requestId, 6, 4)], `${prefix}hydrated`)).toEqual([true]);
    // Settled: spent 7, nothing reserved.
    expect(await store.admit(plan({ budgets: [budget(10)], amountNano: 4 }))).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: 10, committedNano: 7 });
    expect((await store.admit(plan({ budgets: [budget(10)], amountNano: 3 }))).kind).toBe('admitted');
  });

  it("counts a reservation once against all of a scope's budgets", async () => {
    const both = () => [budget(100), budget(100, `${prefix}spent-this-day`)];
    for (let i = 0; i < 3; i++) expect((await store.admit(plan({ budgets: both(), amountNano: 30 }))).kind).toBe('admitted');
    expect(await store.admit(plan({ budgets: both(), amountNano: 30 }))).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: 100, committedNano: 90 });
  });

  it('asks for a rebuild from Postgres before admitting against a budget, never for rate limits alone', async () => {
    const unhydrated = `${prefix}not-hydrated`;
    expect(await store.admit(plan({ hydratedKey: unhydrated, budgets: [budget(10)], amountNano: 1 }))).toEqual({ kind: 'needs-hydration' });
    expect((await store.admit(plan({ hydratedKey: unhydrated, rate: [{ counterBase: `${prefix}r`, limit: 1, windowSeconds: 60 }] }))).kind).toBe('admitted');
    expect(await store.isHydrated(unhydrated)).toBe(false);
    await store.hydrate([{ key: `${prefix}spent`, ttlSeconds: 0, nano: 9 }], unhydrated);
    expect(await store.isHydrated(unhydrated)).toBe(true);
    expect(await store.admit(plan({ hydratedKey: unhydrated, budgets: [budget(10)], amountNano: 2 }))).toMatchObject({ kind: 'budget-exhausted', committedNano: 9 });
  });

  it('sets rebuilt counters rather than adding to what they held, and writes nothing once another rebuild finished', async () => {
    await store.hydrate([{ key: `${prefix}spent`, ttlSeconds: 0, nano: 7 }], `${prefix}first-rebuild`);
    // The marker lost, the counter left (a partial loss, or counted by a release without rebuilds): set to Postgres's 5, not 12.
    const marker = `${prefix}second-rebuild`;
    await store.hydrate([{ key: `${prefix}spent`, ttlSeconds: 0, nano: 5 }], marker);
    // A slower rebuild finishing after that one writes nothing.
    await store.hydrate([{ key: `${prefix}spent`, ttlSeconds: 0, nano: 100 }], marker);
    expect(await store.admit(plan({ hydratedKey: marker, budgets: [budget(10)], amountNano: 6 }))).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: 10, committedNano: 5 });
  });

  it('adds no spend to counters that were never rebuilt (the rebuild would count it again), but releases a reservation at no cost', async () => {
    const unhydrated = `${prefix}not-hydrated`;
    expect(await store.settle([settlePlan('spent-early', 0, 5)], unhydrated)).toBe('needs-hydration');
    expect(await store.settle([settlePlan('released', 7, 0)], unhydrated)).toEqual([true]);
    // Rebuilt from what Postgres holds (5 spent by earlier requests: this one is stored only once
    // settled), then the request settles, once: 10 in all.
    await store.hydrate([{ key: `${prefix}spent`, ttlSeconds: 0, nano: 5 }], unhydrated);
    expect(await store.settle([settlePlan('spent-early', 0, 5)], unhydrated)).toEqual([true]);
    expect(await store.admit(plan({ hydratedKey: unhydrated, budgets: [budget(10)], amountNano: 1 }))).toMatchObject({ kind: 'budget-exhausted', committedNano: 10 });
  });
});

describe('MemoryLimitStore housekeeping', () => {
  afterEach(() => jest.restoreAllMocks());

  it('drops expired windows, markers and reservations instead of keeping one entry per request forever', async () => {
    let now = Date.UTC(2026, 0, 1);
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const store = new MemoryLimitStore();
    await store.hydrate([], 'hydrated');
    for (let i = 0; i < 100; i++) {
      await store.admit({
        hydratedKey: 'hydrated',
        rate: [{ counterBase: 'rate', limit: 1_000, windowSeconds: 1 }],
        budgets: [{ reservations: { setKey: 'reserved', totalKey: 'reserved-total' }, spentKey: 'spent', limitNano: 1e12 }],
        requestId: `r${i}`,
        amountNano: 1,
        reservationTtlMs: 60_000,
      });
      await store.settle([{ markerKey: `settled:r${i}`, markerTtlSeconds: 60, reservations: [{ setKey: 'reserved', totalKey: 'reserved-total' }], reservationMember: `r${i}:1`, actualNano: 1, counters: [{ key: 'spent', ttlSeconds: 0 }] }], 'hydrated');
      now += 1_000;
    }
    expect(store.size).toBeGreaterThan(50);
    now += 3_600_000;
    await store.settle([{ markerKey: 'settled:late', markerTtlSeconds: 60, reservations: [], reservationMember: null, actualNano: 0, counters: [] }], 'hydrated');
    // What remains: the hydration marker, the lifetime spend counter and the new marker.
    expect(store.size).toBe(3);
  });
});

describe('RedisLimitStore reservations', () => {
  let redis: Redis;
  let store: RedisLimitStore;
  let p: string;
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    store = new RedisLimitStore(redis);
  });
  beforeEach(async () => {
    p = `tgspec-${randomBytes(4).toString('hex')}:`;
    await redis.set(`${p}hydrated`, '1');
  });
  afterEach(async () => {
    const keys = await redis.keys(`${p}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  afterAll(() => redis.disconnect());

  const reservations = { setKey: `reserved`, totalKey: `reserved-total` };
  const admit = (requestId: string, amountNano: number, limitNano = 1e12) =>
    store.admit({
      hydratedKey: `${p}hydrated`,
      rate: [],
      budgets: [{ reservations: { setKey: `${p}${reservations.setKey}`, totalKey: `${p}${reservations.totalKey}` }, spentKey: `${p}spent`, limitNano }],
      requestId,
      amountNano,
      reservationTtlMs: 60_000,
    });
  const state = async () => ({ members: await redis.zcard(`${p}reserved`), total: Number(await redis.get(`${p}reserved-total`)) });

  it('keeps a running total equal to the sum of thousands of concurrent reservations, through settlement', async () => {
    const amounts = Array.from({ length: 2_000 }, (_, i) => 1 + (i % 7));
    const outcomes = await Promise.all(amounts.map((amount, i) => admit(`r${i}`, amount)));
    expect(outcomes.every((o) => o.kind === 'admitted')).toBe(true);
    const sum = amounts.reduce((a, b) => a + b, 0);
    expect(await state()).toEqual({ members: 2_000, total: sum });
    const settled = amounts.slice(0, 500).map((amount, i) => ({
      markerKey: `${p}settled:r${i}`,
      markerTtlSeconds: 60,
      reservations: [{ setKey: `${p}reserved`, totalKey: `${p}reserved-total` }],
      reservationMember: `r${i}:${amount}`,
      actualNano: 0,
      counters: [],
    }));
    await store.settle(settled, `${p}hydrated`);
    // Settling twice releases nothing twice.
    await store.settle(settled, `${p}hydrated`);
    const released = amounts.slice(0, 500).reduce((a, b) => a + b, 0);
    expect(await state()).toEqual({ members: 1_500, total: sum - released });
    expect(await admit('over', 1, sum - released)).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: sum - released, committedNano: sum - released });
  });

  it('frees a large expired backlog over several admissions, never undercounting meanwhile', async () => {
    // A worker outage's leftovers: 1,500 reservations of 1, all expired.
    const past = Date.now() - 1_000;
    await redis.zadd(`${p}reserved`, ...Array.from({ length: 1_500 }, (_, i) => [past - i, `old${i}:1`]).flat());
    await redis.set(`${p}reserved-total`, '1500');
    // The first admission drops 1,000 of them; the 500 left still count until the next one.
    expect(await admit('a', 1, 501)).toMatchObject({ kind: 'admitted' });
    expect(await state()).toEqual({ members: 501, total: 501 });
    expect(await admit('b', 1, 2)).toMatchObject({ kind: 'admitted' });
    expect(await state()).toEqual({ members: 2, total: 2 });
  });

  it('rebuilds a missing total from its set (reservations made before totals existed), then keeps it', async () => {
    const later = Date.now() + 60_000;
    await redis.zadd(`${p}reserved`, later, 'old1:4', later, 'old2:5');
    await redis.pexpire(`${p}reserved`, 120_000);
    // Settling one of them before any admission: nothing to subtract from a total not yet built.
    await store.settle([{ markerKey: `${p}settled:old1`, markerTtlSeconds: 60, reservations: [{ setKey: `${p}reserved`, totalKey: `${p}reserved-total` }], reservationMember: 'old1:4', actualNano: 0, counters: [] }], `${p}hydrated`);
    expect(await redis.exists(`${p}reserved-total`)).toBe(0);
    expect(await admit('new', 3, 8)).toMatchObject({ kind: 'admitted' });
    expect(await state()).toEqual({ members: 2, total: 8 });
    expect(await redis.pttl(`${p}reserved-total`)).toBeGreaterThan(0);
    expect(await admit('over', 1, 8)).toEqual({ kind: 'budget-exhausted', index: 0, limitNano: 8, committedNano: 8 });
  });

  it('never shortens the life of a set that holds a held reservation', async () => {
    expect(await admit('held', 5)).toMatchObject({ kind: 'admitted' });
    await store.hold([{ reservations: [{ setKey: `${p}reserved`, totalKey: `${p}reserved-total` }], member: 'held:5' }], 3_600_000);
    // A later admission with the usual (shorter) TTL.
    expect(await admit('later', 1)).toMatchObject({ kind: 'admitted' });
    for (const key of [`${p}reserved`, `${p}reserved-total`]) expect(await redis.pttl(key)).toBeGreaterThan(3_600_000);
    expect(Number(await redis.zscore(`${p}reserved`, 'held:5'))).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it('repairs a total that outlived its set', async () => {
    await redis.set(`${p}reserved-total`, '40');
    expect(await admit('a', 10, 10)).toMatchObject({ kind: 'admitted' });
    expect(await state()).toEqual({ members: 1, total: 10 });
  });
});

describe('RedisLimitStore settlement script', () => {
  it('walks a batch of differently shaped requests: each one its own reservations, counters and TTLs', async () => {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const store = new RedisLimitStore(redis);
    const p = `tgspec-${randomBytes(4).toString('hex')}:`;
    try {
      // As an admission leaves them: the member in each set, its amount in each set's total.
      for (const set of ['a', 'b']) {
        await redis.zadd(`${p}reserved:${set}`, Date.now() + 60_000, 'r1:9');
        await redis.set(`${p}reserved-total:${set}`, '9');
      }
      const reservation = (set: string) => ({ setKey: `${p}reserved:${set}`, totalKey: `${p}reserved-total:${set}` });
      const batch = (): SettlePlan[] => [
        // Two reservation sets, four counters with their own TTLs (0: none).
        {
          markerKey: `${p}settled:r1`,
          markerTtlSeconds: 60,
          reservations: [reservation('a'), reservation('b')],
          reservationMember: 'r1:9',
          actualNano: 5,
          counters: [0, 100, 200, 300].map((ttlSeconds, i) => ({ key: `${p}c${i}`, ttlSeconds })),
        },
        // Nothing reserved, nothing counted.
        { markerKey: `${p}settled:r2`, markerTtlSeconds: 70, reservations: [], reservationMember: null, actualNano: 0, counters: [] },
        // No reservation, two counters, one of them shared with the first request.
        { markerKey: `${p}settled:r3`, markerTtlSeconds: 80, reservations: [reservation('a')], reservationMember: null, actualNano: 7, counters: [{ key: `${p}c0`, ttlSeconds: 0 }, { key: `${p}c4`, ttlSeconds: 400 }] },
      ];
      // Counters not rebuilt from Postgres yet: nothing is written (the rebuild would count it again).
      expect(await store.settle(batch(), `${p}hydrated`)).toBe('needs-hydration');
      expect(await redis.keys(`${p}settled:*`)).toEqual([]);
      expect([await redis.zcard(`${p}reserved:a`), await redis.get(`${p}c0`)]).toEqual([1, null]);
      await redis.set(`${p}hydrated`, '1');
      const settled = await store.settle(batch(), `${p}hydrated`);
      expect(settled).toEqual([true, true, true]);
      expect(await redis.zcard(`${p}reserved:a`)).toBe(0);
      expect(await redis.zcard(`${p}reserved:b`)).toBe(0);
      expect(await redis.mget(`${p}reserved-total:a`, `${p}reserved-total:b`)).toEqual(['0', '0']);
      expect(await redis.mget(`${p}c0`, `${p}c1`, `${p}c2`, `${p}c3`, `${p}c4`)).toEqual(['12', '5', '5', '5', '7']);
      const ttls = await Promise.all([`${p}c0`, `${p}c1`, `${p}c2`, `${p}c3`, `${p}c4`, `${p}settled:r1`, `${p}settled:r2`, `${p}settled:r3`].map((key) => redis.ttl(key)));
      expect(ttls[0]).toBe(-1);
      // Each TTL within a second of the one asked for: the script reads each counter's own.
      [100, 200, 300, 400, 60, 70, 80].forEach((wanted, i) => expect(Math.abs(ttls[i + 1] - wanted)).toBeLessThanOrEqual(1));
    } finally {
      const keys = await redis.keys(`${p}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });
});
