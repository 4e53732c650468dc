import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RedisDataLoss, RedisDataLossWatch } from './redis-data-loss-watch';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Against the test Redis, under a prefix of its own per case. */
describe('RedisDataLossWatch', () => {
  let redis: Redis;
  let prefix: string;
  const losses: RedisDataLoss[] = [];
  const watch = (ranBefore: boolean) =>
    new RedisDataLossWatch(redis, { markerKey: `${prefix}:redis-marker`, keyPattern: `${prefix}:*`, ranBefore: async () => ranBefore, onLoss: (loss) => losses.push(loss) });

  beforeEach(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    prefix = `tgtest-loss-${randomBytes(4).toString('hex')}`;
    losses.length = 0;
  });

  afterEach(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('marks a fresh deployment (nothing in Postgres) without reporting anything', async () => {
    await watch(false).check();
    expect(losses).toEqual([]);
    expect(await redis.get(`${prefix}:redis-marker`)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports a loss while running when the marker disappears (restart, flush) or is replaced (a failover)', async () => {
    const running = watch(false);
    await running.check();
    await running.check();
    expect(losses).toEqual([]);
    await redis.del(`${prefix}:redis-marker`);
    await running.check();
    expect(losses).toEqual(['while-running']);
    // Another process re-marked the emptied Redis first: the value this one knew is gone too.
    await redis.set(`${prefix}:redis-marker`, 'another-epoch');
    await running.check();
    expect(losses).toEqual(['while-running', 'while-running']);
    await running.check();
    expect(losses).toHaveLength(2);
  });

  it('notices a flush that left the connection up on its periodic check', async () => {
    const periodic = new RedisDataLossWatch(redis, { markerKey: `${prefix}:redis-marker`, keyPattern: `${prefix}:*`, ranBefore: async () => false, onLoss: (loss) => losses.push(loss), intervalMs: 20 });
    periodic.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(losses).toEqual([]);
      await redis.del(`${prefix}:redis-marker`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(losses).toEqual(['while-running']);
    } finally {
      periodic.stop();
    }
  });

  it('at start, reports an empty Redis under a deployment that ran before; a marked one, or one holding its keys (an older release), is not a loss', async () => {
    await watch(true).check();
    expect(losses).toEqual(['at-start']);
    // The next process to start finds the marker.
    await watch(true).check();
    expect(losses).toEqual(['at-start']);
    await redis.del(`${prefix}:redis-marker`);
    await redis.set(`${prefix}:request-events:events`, 'x');
    await watch(true).check();
    expect(losses).toEqual(['at-start']);
  });

  it('at start, does not take the keys processes write as they start for data Redis kept', async () => {
    await redis.set(`${prefix}:queue:meta`, 'x');
    const starting = new RedisDataLossWatch(redis, {
      markerKey: `${prefix}:redis-marker`,
      keyPattern: `${prefix}:*`,
      startupKeys: [`${prefix}:queue:meta`],
      ranBefore: async () => true,
      onLoss: (loss) => losses.push(loss),
    });
    await starting.check();
    expect(losses).toEqual(['at-start']);
  });

  it('reports a failed check, and makes its verdict at the next connection', async () => {
    const failures: unknown[] = [];
    let postgresUp = false;
    const starting = new RedisDataLossWatch(redis, {
      markerKey: `${prefix}:redis-marker`,
      keyPattern: `${prefix}:*`,
      ranBefore: async () => {
        if (!postgresUp) throw new Error('Postgres away');
        return true;
      },
      onLoss: (loss) => losses.push(loss),
      onCheckFailed: (error) => failures.push(error),
    });
    await starting.check();
    expect(failures).toEqual([expect.objectContaining({ message: 'Postgres away' })]);
    expect(losses).toEqual([]);
    postgresUp = true;
    starting.start();
    redis.disconnect(true);
    await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    await starting.check();
    starting.stop();
    // The marker it set before the failure does not hide what Redis had lost.
    expect(losses).toEqual(['at-start']);
  });
});
