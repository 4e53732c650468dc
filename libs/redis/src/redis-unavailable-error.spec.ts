import { createServer } from 'node:net';
import Redis from 'ioredis';
import { createRequestPathRedis } from './redis-connections';
import { isRedisUnavailableError } from './redis-unavailable-error';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The errors ioredis really raises, told apart: Redis out of reach, or a command Redis refused. */
describe('isRedisUnavailableError', () => {
  it('recognises a refused connection, as the connection reports it', async () => {
    const redis = new Redis(`redis://127.0.0.1:${await deadPort()}`, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    const reported = new Promise<Error>((resolve) => redis.once('error', resolve));
    const ended = new Promise<void>((resolve) => redis.once('end', resolve));
    await redis.connect().catch(() => undefined);
    const error = await reported;
    expect((error as Error & { code?: string }).code).toBe('ECONNREFUSED');
    expect(isRedisUnavailableError(error)).toBe(true);
    // No retries: the client ends by itself. disconnect() on its already-closed socket would
    // start ioredis' 2 s destroy timer, which nothing clears: Jest's worker then cannot exit.
    await ended;
  });

  it('recognises a command on a connection that is not there (no offline queue) or was closed', async () => {
    const offline = createRequestPathRedis(`redis://127.0.0.1:${await deadPort()}`, 'tollgate-spec');
    const unwritable = await offline.ping().catch((error: Error) => error);
    expect(isRedisUnavailableError(unwritable)).toBe(true);
    offline.disconnect();

    const closed = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    await closed.ping();
    closed.disconnect();
    const afterClose = await closed.ping().catch((error: Error) => error);
    expect(afterClose).toBeInstanceOf(Error);
    expect(isRedisUnavailableError(afterClose)).toBe(true);
  });

  it('does not take a command Redis refused, nor anything but an error, for an outage', async () => {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const refused = await redis.call('NOT-A-COMMAND').catch((error: Error) => error);
      expect(refused).toBeInstanceOf(Error);
      expect(isRedisUnavailableError(refused)).toBe(false);
    } finally {
      redis.disconnect();
    }
    expect(isRedisUnavailableError(new Error('batch failed'))).toBe(false);
    expect(isRedisUnavailableError('ECONNREFUSED')).toBe(false);
  });
});
