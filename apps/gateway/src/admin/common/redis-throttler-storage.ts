import { ThrottlerStorage } from '@nestjs/throttler';
import { Logger, withTimeout } from '@tollgate/common';
import Redis from 'ioredis';

/**
 * One fixed window per client and throttler, and a block once the limit is passed, in one
 * atomic script: KEYS = hits, block; ARGV = window ms, limit, block ms.
 * Returns { hits, window ms left, blocked (0/1), block ms left }.
 */
const INCREMENT_SCRIPT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  return { tonumber(redis.call('GET', KEYS[1]) or 0), redis.call('PTTL', KEYS[1]), 1, blockLeft }
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local windowLeft = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return { hits, windowLeft, 1, tonumber(ARGV[3]) }
end
return { hits, windowLeft, 0, 0 }
`;

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
type IncrementCommand = (keyCount: number, ...keysAndArgs: Array<string | number>) => Promise<[number, number, number, number]>;

/** How long the admin API waits for Redis before letting a request through uncounted. */
const REDIS_WAIT_MS = 250;
/** After Redis failed to answer, how long requests skip it (an outage costs one wait, not one per request). */
const SKIP_AFTER_FAILURE_MS = 5_000;

/**
 * The admin API's throttling counters in Redis, so the limit holds for the deployment, not per
 * replica (behind a load balancer, N replicas with in-memory counters allow N times the limit).
 * If Redis cannot answer quickly, the request is let through and a warning logged: the admin
 * key check still applies, and an outage must neither lock operators out of the admin API nor
 * slow every admin call down.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly incrementScript: IncrementCommand;
  private skipUntil = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    redis.defineCommand('tollgateThrottle', { lua: INCREMENT_SCRIPT });
    this.incrementScript = (redis as unknown as Record<'tollgateThrottle', IncrementCommand>).tollgateThrottle.bind(redis);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const uncounted: ThrottlerStorageRecord = { totalHits: 0, timeToExpire: seconds(ttl), isBlocked: false, timeToBlockExpire: 0 };
    if (Date.now() < this.skipUntil) return uncounted;
    const base = `${this.prefix}:admin-throttle:${throttlerName}:${key}`;
    try {
      const [hits, windowLeftMs, blocked, blockLeftMs] = await withTimeout(
        this.incrementScript(2, `${base}:hits`, `${base}:block`, ttl, limit, blockDuration),
        REDIS_WAIT_MS,
        `no answer within ${REDIS_WAIT_MS} ms`,
      );
      return { totalHits: hits, timeToExpire: seconds(windowLeftMs), isBlocked: blocked === 1, timeToBlockExpire: seconds(blockLeftMs) };
    } catch (error) {
      this.skipUntil = Date.now() + SKIP_AFTER_FAILURE_MS;
      this.logger.warn({ err: error }, `admin throttling unavailable (Redis); requests are let through uncounted for ${SKIP_AFTER_FAILURE_MS / 1000} s`);
      return uncounted;
    }
  }
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
