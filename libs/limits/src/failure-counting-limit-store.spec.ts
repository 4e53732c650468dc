import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createRequestPathRedis } from '@tollgate/redis';
import Redis from 'ioredis';
import { FailureCountingLimitStore } from './failure-counting-limit-store';
import { AdmissionPlan, SettlePlan } from './limit-store';
import { LIMIT_STORE_OPERATIONS, LimitStoreFailures } from './limit-store-failures';
import { RedisLimitStore } from './redis-limit-store';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A loopback port nothing listens on: taken, then freed. Redis there is down (connections refused). */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The Redis limit store, its failures counted, as both apps wire it (LimitsModule). */
describe('FailureCountingLimitStore (real Redis)', () => {
  const prefix = `tgspec-failures-${randomBytes(4).toString('hex')}:`;
  const admission = (): AdmissionPlan => ({
    hydratedKey: `${prefix}hydrated`,
    rate: [{ counterBase: `${prefix}rate`, limit: 10, windowSeconds: 60 }],
    budgets: [],
    requestId: `req-${randomBytes(4).toString('hex')}`,
    amountNano: 0,
    reservationTtlMs: 60_000,
  });
  const release = (requestId: string): SettlePlan => ({
    markerKey: `${prefix}settled:${requestId}`,
    markerTtlSeconds: 60,
    reservations: [],
    reservationMember: null,
    actualNano: 0,
    counters: [],
  });
  const noFailures = Object.fromEntries(LIMIT_STORE_OPERATIONS.map((operation) => [operation, 0]));

  it('counts nothing while Redis answers, refusals included (a limit reached is no failure)', async () => {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const failures = new LimitStoreFailures();
    const store = new FailureCountingLimitStore(new RedisLimitStore(redis), failures);
    try {
      await store.hydrate([], `${prefix}hydrated`);
      const plan = { ...admission(), rate: [{ counterBase: `${prefix}tight`, limit: 1, windowSeconds: 60 }] };
      expect((await store.admit(plan)).kind).toBe('admitted');
      expect((await store.admit({ ...plan, requestId: 'again' })).kind).toBe('rate-limited');
      expect(await store.settle([release(plan.requestId)], `${prefix}hydrated`)).toEqual([true]);
      expect(await store.isHydrated(`${prefix}hydrated`)).toBe(true);
      expect(failures.totals()).toEqual(noFailures);
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('counts each failed call by operation while Redis is down, and passes its error on unchanged', async () => {
    // The gateway's request-path connection: no offline queue, so a call fails at once.
    const redis = createRequestPathRedis(`redis://127.0.0.1:${await deadPort()}`, 'tollgate-spec-limits');
    const failures = new LimitStoreFailures();
    const inner = new RedisLimitStore(redis);
    const store = new FailureCountingLimitStore(inner, failures);
    try {
      const direct = await inner.admit(admission()).catch((error: Error) => error);
      expect(direct).toBeInstanceOf(Error);
      await expect(store.admit(admission())).rejects.toThrow((direct as Error).message);
      await expect(store.admit(admission())).rejects.toThrow();
      await expect(store.settle([release('r1')], `${prefix}hydrated`)).rejects.toThrow();
      await expect(store.hold([{ reservations: [{ setKey: `${prefix}set`, totalKey: `${prefix}total` }], member: 'r1:5' }], 60_000)).rejects.toThrow();
      await expect(store.isHydrated(`${prefix}hydrated`)).rejects.toThrow();
      expect(failures.totals()).toEqual({ ...noFailures, admit: 2, settle: 1, hold: 1, is_hydrated: 1 });
    } finally {
      redis.disconnect();
    }
  });
});
