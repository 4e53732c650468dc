import { estimateTokens } from '@tollgate/reporting';
import { FakeOpenAI, LONG_ANSWER } from './support/fake-openai';
import { eventFor } from './support/provider-e2e';
import { chat, issueKey } from './support/proxy-client';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/** What an event job carries to the worker through Redis, and what the worker makes of it. */
describe('event payload (e2e, real queue and worker)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    stack = await startTestStack({ LOG_LEVEL: 'error' });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await upstream?.stop();
  });

  it('carries no more of a huge prompt and answer than the worker counts, and the estimate is the same', async () => {
    const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
    const { key } = await issueKey(stack.admin, [stack.proxyUrl], 'logs-nothing', [setting.body.id], { shouldLogRequest: false, shouldLogResponse: false });
    // Cheap prose first, then text of several bytes a character, then a marker at the very end.
    const prompt = 'Please summarise this record. '.repeat(10_000) + 'ünïcödé 漢字 '.repeat(80_000) + 'END-OF-PROMPT';
    const queue = stack.eventsQueue();
    // The worker takes nothing while the queue is paused: the job waits in Redis, as in a worker outage.
    await queue.pause();
    try {
      const response = await chat(stack.proxyUrl, key, { model: 'no-usage-long', messages: [{ role: 'user', content: prompt }] }, { 'x-custom-event-id': 'huge-estimate' }, 20_000);
      expect(response.status).toBe(200);
      expect(response.body.choices[0].message.content).toBe(LONG_ANSWER);
      const job = await eventually(() => queue.getJob(response.headers['x-request-id']), 5_000, 'the event job queued');
      const stored = JSON.stringify(job.data);
      // 1.3 million characters of prompt and 600,000 of answer; the worker tokenizes 250,000 of each.
      expect(stored.length).toBeLessThan(2 * 250_000 + 10_000);
      expect(stored).not.toContain('END-OF-PROMPT');
    } finally {
      await queue.resume();
    }
    const event = await eventFor(stack, 'huge-estimate', 20_000);
    expect(event.token_count_estimated).toBe(true);
    // The whole texts' estimates, as before: 7 tokens frame the one message.
    expect(event.prompt_token_count).toBe(estimateTokens(prompt) + 7);
    expect(event.completion_token_count).toBe(estimateTokens(LONG_ANSWER));
  }, 60_000);
});
