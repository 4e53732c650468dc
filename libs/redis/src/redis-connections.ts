import { LogThrottle } from '@tollgate/common';
import Redis, { RedisOptions } from 'ioredis';

/**
 * The request path's Redis connection: tight timeouts and no offline queue, so a frozen or
 * absent Redis fails a command within about a second instead of holding requests hostage.
 */
export function createRequestPathRedis(url: string, name: string, onError: (error: Error) => void = () => undefined): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    commandTimeout: 800,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  } satisfies RedisOptions);
  // Without a listener ioredis prints "Unhandled error event"; commands still fail on their own.
  redis.on('error', onError);
  return redis;
}

/** A connection for SUBSCRIBE, which blocks the connection for anything else. */
export function createSubscriberRedis(url: string, name: string, onError: (error: Error) => void = () => undefined): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    // The INFO ready-check is not allowed once the connection is subscribed (on reconnect).
    enableReadyCheck: false,
    // A reconnect to an unreachable Redis gives up soon and tries again (the default waits 10 s).
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  redis.on('error', onError);
  return redis;
}

/**
 * A connection's error listener that logs at most once per 10 s: an outage is one story, not
 * thousands of lines (and without a listener ioredis prints each error, stack and all, on stderr).
 */
export function rateLimitedRedisErrorLogger(log: (error: Error) => void, intervalMs = 10_000): (error: Error) => void {
  const throttle = new LogThrottle(intervalMs);
  return (error) => throttle.note(() => log(error));
}

/**
 * What decides the server and database a connection reaches, and as whom. BullMQ's other
 * options (retries, timeouts) are its own.
 */
const CONNECTION_TARGET = ['host', 'port', 'path', 'family', 'username', 'password', 'db', 'tls'] as const;

/**
 * BullMQ's connection options, read from the URL by ioredis itself (a client that never
 * connects), as every other connection made from REDIS_URL reads it: a URL parsed here had an
 * IPv6 literal's brackets in its host (ENOTFOUND [::1]: every event lost while the request path
 * and readiness were fine) and ignored ?db= and ?password=, which ioredis honours.
 * BullMQ requires maxRetriesPerRequest: null on its blocking connections.
 */
export function bullmqConnectionOptions(url: string): RedisOptions {
  const { options } = new Redis(url, { lazyConnect: true });
  const target = Object.fromEntries(CONNECTION_TARGET.filter((name) => options[name] !== undefined).map((name) => [name, options[name]]));
  return { ...target, maxRetriesPerRequest: null, enableOfflineQueue: true };
}
