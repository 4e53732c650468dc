import { randomBytes } from 'node:crypto';
import { RedisServer } from './support/redis-server';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/**
 * A Redis password that is wrong (rotated on the server, not yet in REDIS_URL): every connection
 * of the gateway and the worker fails AUTH, and ioredis's errors carry the AUTH command with
 * its argument, the password. Against a private redis-server that requires another one.
 */
describe('A wrong Redis password (real Redis with requirepass)', () => {
  let redis: RedisServer;
  let stack: TestStack | null = null;
  const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    redis = await RedisServer.start({ password: `right-${randomBytes(8).toString('hex')}` });
  });

  afterAll(async () => {
    // Its close fails at deleting the test's Redis keys (the same wrong password); the database is dropped anyway.
    await stack?.close().catch(() => undefined);
    await redis?.kill();
  });

  it('is never written to the logs, while the failed AUTH is', async () => {
    stack = await startTestStack({ REDIS_URL: `redis://:${wrongPassword}@127.0.0.1:${redis.port}` });
    const refused = (service: string) => stack!.logs.some((line) => line.includes(`"service":"${service}"`) && line.includes('WRONGPASS'));
    await eventually(async () => (refused('gateway') && refused('worker') ? true : undefined), 10_000, 'both processes logged the refused AUTH');
    expect(stack.logs.filter((line) => line.includes(wrongPassword))).toEqual([]);
    // Which command failed is still told, only its arguments are not.
    expect(stack.logs.some((line) => line.includes('WRONGPASS') && line.includes('"command":{"name":"auth"}'))).toBe(true);
  });
});
