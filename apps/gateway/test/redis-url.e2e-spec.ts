import { QueueName } from '@tollgate/queue';
import { bullmqConnectionOptions, createRequestPathRedis } from '@tollgate/redis';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { FakeOpenAI } from './support/fake-openai';
import { chat, issueKey } from './support/proxy-client';
import { RedisServer } from './support/redis-server';
import { TEST_REDIS_URL, TestStack, eventually, startTestStack } from './support/test-stack';

/**
 * Every connection made from REDIS_URL reaches the same server and database, whatever form the
 * URL takes: the request path's connections (ioredis reads the URL) and BullMQ's (which take
 * options) alike.
 */
describe('REDIS_URL forms (real Redis and queue)', () => {
  describe('an IPv6 literal', () => {
    let stack: TestStack;
    let upstream: FakeOpenAI;

    beforeAll(async () => {
      upstream = new FakeOpenAI();
      await upstream.start();
      const { port } = new URL(TEST_REDIS_URL);
      stack = await startTestStack({ REDIS_URL: `redis://[::1]:${port || 6379}`, LOG_LEVEL: 'error' });
    }, 60_000);

    afterAll(async () => {
      await stack?.close();
      await upstream?.stop();
    });

    it('carries events to the worker, and the events queue counts in readiness', async () => {
      const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
      const { key } = await issueKey(stack.admin, [stack.proxyUrl], 'ipv6', [setting.body.id]);
      const response = await chat(stack.proxyUrl, key, { max_tokens: 5 });
      expect(response.status).toBe(200);
      const requestId = response.headers['x-request-id'];
      await eventually(async () => ((await stack.sql('SELECT id FROM events WHERE id = $1', [requestId])).length === 1 ? true : undefined), 10_000, 'the event recorded');
      const ready = await fetch(`${stack.adminUrl}/health/ready`);
      expect(await ready.json()).toMatchObject({ status: 'ok', checks: { redis: 'ok', eventsQueue: 'ok' } });
    });
  });

  describe('a database and a password given as query options', () => {
    let redis: RedisServer;
    const connections: Array<Redis | Queue> = [];

    beforeAll(async () => {
      redis = await RedisServer.start({ password: 'query-password' });
    });

    afterAll(async () => {
      for (const connection of connections) await connection.disconnect();
      await redis?.kill();
    });

    it('puts the queue in the database the request path uses, authenticated', async () => {
      const url = `redis://127.0.0.1:${redis.port}/?db=3&password=query-password`;
      const queue = new Queue(QueueName.RequestEvents, { connection: bullmqConnectionOptions(url), prefix: 'url-spec' });
      const requestPath = createRequestPathRedis(url, 'url-spec');
      connections.push(queue, requestPath);
      await queue.add('event', { id: 'in-db-3' }, { jobId: 'in-db-3' });
      await eventually(async () => (requestPath.status === 'ready' ? true : undefined), 5_000, 'the request path connected');
      expect(await requestPath.exists(`url-spec:${QueueName.RequestEvents}:in-db-3`)).toBe(1);
    });
  });
});
