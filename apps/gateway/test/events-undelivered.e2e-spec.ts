import { JobName, RequestEventData } from '@tollgate/queue';
import { estimateTokens } from '@tollgate/reporting';
import { FakeOpenAI } from './support/fake-openai';
import { chat, issueKey } from './support/proxy-client';
import { RedisServer } from './support/redis-server';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/**
 * A gateway stopped while Redis is unreachable cannot deliver its last events (nor record them
 * itself: settlement needs Redis). It logs each one, without its texts, so that it can be queued
 * again by hand once Redis is back, and recorded and billed as it would have been.
 */
describe('events undelivered at shutdown (e2e, real gateway, worker and Redis)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  let redis: RedisServer;

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    redis = await RedisServer.start();
    stack = await startTestStack({ LOG_LEVEL: 'warn', REDIS_URL: redis.url });
  }, 60_000);

  afterAll(async () => {
    // Running, if the test stopped before it brought Redis back: closing the stack needs it.
    await redis?.restart();
    await stack?.close();
    await redis?.kill();
    await upstream?.stop();
  });

  it('are each logged without their texts, and recorded as they would have been once queued again', async () => {
    const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
    const { key, keyId } = await issueKey(stack.admin, [stack.proxyUrl], 'stopped', [setting.body.id], { shouldLogRequest: true, shouldLogResponse: true });
    await redis.stop();
    const prompt = 'PRIVATE-PROMPT count these words please';
    const ids: string[] = [];
    for (const model of ['gpt-4o-mini', 'gpt-4o-mini', 'no-usage']) {
      const response = await chat(stack.proxyUrl, key, { model, messages: [{ role: 'user', content: prompt }] });
      expect(response.status).toBe(200);
      ids.push(response.headers['x-request-id']);
    }
    await stack.closeGateway();

    const logged = stack.logs
      .map((line) => JSON.parse(line) as { msg: string; event?: RequestEventData; undelivered?: number })
      .filter((line) => line.msg.startsWith('event undelivered at shutdown'))
      .map((line) => line.event!);
    // (issueKey's probe, a 400, may be among them.)
    expect(logged.map((event) => event.id)).toEqual(expect.arrayContaining(ids));
    expect(stack.logs.some((line) => line.includes('PRIVATE-PROMPT'))).toBe(false);
    expect(logged.every((event) => event.request === null && event.response === null)).toBe(true);

    // Redis is back (empty, as after a crash without persistence): the logged events are queued again.
    await redis.restart();
    await stack.eventsQueue().addBulk(logged.map((event) => ({ name: JobName.RecordRequestEvent, data: event, opts: { jobId: event.id } })));
    const rows = await eventually(async () => {
      const found = await stack.sql<{ id: string; prompt_token_count: number; completion_token_count: number; tokens_estimated: boolean; cost_in_usd: string }>(
        'SELECT id, prompt_token_count, completion_token_count, tokens_estimated, cost_in_usd FROM events WHERE id = ANY($1::text[])',
        [ids],
      );
      return found.length === ids.length ? found : undefined;
    }, 20_000, 'the replayed events recorded');
    const estimated = rows.find((row) => row.id === ids[2])!;
    // Billed as the original event would have been: its texts' counts came along instead of them.
    expect(estimated).toMatchObject({ tokens_estimated: true, prompt_token_count: estimateTokens(prompt) + 7, completion_token_count: estimateTokens('Hello there, friend!') });
    expect(rows.filter((row) => row.id !== ids[2]).map((row) => row.prompt_token_count)).toEqual([12, 12]);
    const [{ spent_usd }] = await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]);
    expect(Number(spent_usd)).toBeCloseTo(rows.reduce((sum, row) => sum + Number(row.cost_in_usd), 0), 12);
  }, 90_000);
});
