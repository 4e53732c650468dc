import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { FakeOpenAI } from './support/fake-openai';
import { ACTUAL_NANO } from './support/pricing';
import { requestEvent } from './support/request-event';
import { chat, issueKey } from './support/proxy-client';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/**
 * Postgres refusing the worker's inserts for longer than a few retries: the event is retried
 * (never dropped), and the spend its first attempt settled is counted once, because every failed
 * attempt renews the request's settled marker. Retries are 50 ms apart here
 * (EVENT_RETRY_MAX_DELAY_MS), so dozens of attempts take a few seconds.
 */
describe('an event the worker cannot record (e2e, real worker and queue)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    stack = await startTestStack({ EVENT_RETRY_MAX_DELAY_MS: '50', LOG_LEVEL: 'warn' });
    redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
    queue = stack.eventsQueue();
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await stack?.close();
    await upstream?.stop();
  });

  it('is retried past any fixed number of attempts, then recorded, its spend counted once', async () => {
    const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
    const { key, keyId } = await issueKey(stack.admin, [stack.proxyUrl], 'retry', [setting.body.id], { costLimitInUsd: 1 });
    // A first request, recorded normally (spend counters are built from Postgres before it).
    const first = await chat(stack.proxyUrl, key, { max_tokens: 5 });
    expect(first.status).toBe(200);
    // (By its id: issueKey's probes, refused before admission, are events too.)
    await eventually(async () => ((await stack.sql('SELECT id FROM events WHERE id = $1', [first.headers['x-request-id']])).length === 1 ? true : undefined), 10_000, 'the first event recorded');
    // Every insert into events fails (reads still work) until the trigger is dropped.
    await stack.sql("CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'events refused by the test'; END $$");
    await stack.sql('CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_event()');

    const response = await chat(stack.proxyUrl, key, { max_tokens: 5 });
    expect(response.status).toBe(200);
    const requestId = response.headers['x-request-id'] as string;
    const attempts = async () => (await queue.getJob(requestId))?.attemptsMade ?? 0;
    // Well past the 10 attempts after which the job used to fail for good.
    await eventually(async () => ((await attempts()) >= 15 ? true : undefined), 20_000, '15 failed attempts');
    const job = await queue.getJob(requestId);
    expect(job?.data).toMatchObject({ id: requestId });

    // The first attempt settled the spend before failing to persist; each failure renews the
    // marker that makes later attempts' settlement a no-op. Shorten it, and watch it renewed.
    const marker = `${stack.queuePrefix}:limits:settled:${requestId}`;
    expect(await redis.exists(marker)).toBe(1);
    await redis.expire(marker, 5);
    const seen = await attempts();
    await eventually(async () => ((await attempts()) >= seen + 2 ? true : undefined), 10_000, 'two more attempts');
    expect(await redis.ttl(marker)).toBeGreaterThan(600);

    await stack.sql('DROP TRIGGER refuse_events ON events');
    await eventually(async () => ((await stack.sql('SELECT id FROM events WHERE id = $1', [requestId])).length === 1 ? true : undefined), 10_000, 'the event recorded');
    const [spent] = await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]);
    expect(Math.round(Number(spent.spent_usd) * 1e9)).toBe(2 * ACTUAL_NANO);
    expect(Number(await redis.get(`${stack.queuePrefix}:limits:spent:key:${keyId}:total`))).toBe(2 * ACTUAL_NANO);

    // The worker's metrics saw the failed batches, and count each recorded event once.
    const metrics = await (await fetch(stack.workerMetricsUrl)).text();
    const total = (name: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    const [{ n }] = await stack.sql<{ n: number }>('SELECT count(*)::int AS n FROM events');
    expect(total('tollgate_worker_events_recorded_total')).toBe(n);
    expect(total('tollgate_worker_batch_failures_total')).toBeGreaterThanOrEqual(15);

    // The same event delivered again after its settled marker expired (a worker that crashed
    // after committing its batch and stayed down past the marker's life): Postgres says it is
    // recorded, so it is neither settled nor persisted twice.
    await redis.del(marker);
    await queue.add(job!.name, job!.data, { jobId: `${requestId}-again` });
    const redelivered = await eventually(async () => ((await queue.getJob(`${requestId}-again`))?.finishedOn ? queue.getJob(`${requestId}-again`) : undefined), 10_000, 'the redelivered job consumed');
    expect(await redelivered!.getState()).toBe('completed');
    expect(Number(await redis.get(`${stack.queuePrefix}:limits:spent:key:${keyId}:total`))).toBe(2 * ACTUAL_NANO);
    const [again] = await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]);
    expect(Math.round(Number(again.spent_usd) * 1e9)).toBe(2 * ACTUAL_NANO);
  }, 60_000);

  it('is logged at error level when BullMQ fails it for good with attempts left (stalled too often)', async () => {
    // A job whose worker dies under it (a crash, an OOM kill) stalls; on its eleventh stall
    // (maxStalledCount) BullMQ's stalled-job check marks it to fail, and the next worker to take
    // it fails it for good, however many attempts it has left. That event is lost, and was logged
    // as a warning that it would be retried. Marked here as that check marks it.
    const event = requestEvent();
    await queue.pause();
    try {
      await queue.add('record-request-event', event, { jobId: event.id, attempts: 2_000, backoff: { type: 'event-retry' } });
      await redis.hset(`${stack.queuePrefix}:request-events:${event.id}`, 'defa', 'job stalled more than allowable limit');
    } finally {
      await queue.resume();
    }
    await eventually(async () => ((await queue.getJob(event.id))?.finishedOn ? true : undefined), 10_000, 'the job failed');
    expect(await (await queue.getJob(event.id))!.getState()).toBe('failed');
    const logged = await eventually(
      async () => stack.logs.find((line) => line.includes(event.id) && line.includes('event job failed for good')),
      5_000,
      'the loss logged',
    );
    expect(JSON.parse(logged!)).toMatchObject({ level: 50, jobId: event.id, err: { message: 'job stalled more than allowable limit' } });

    // And, as before, one whose attempts ran out (a single one here, for an event that cannot be read).
    await queue.add('record-request-event', null, { jobId: `${event.id}-unreadable`, attempts: 1 });
    await eventually(async () => (stack.logs.some((line) => line.includes(`${event.id}-unreadable`) && line.includes('event job failed for good')) ? true : undefined), 10_000, 'the other loss logged');
  }, 30_000);

  it("logs the failed insert without its parameters: a logging key's prompt never reaches the log", async () => {
    const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
    const { key, keyId } = await issueKey(stack.admin, [stack.proxyUrl], 'logged', [setting.body.id], { shouldLogRequest: true, shouldLogResponse: true });
    // issueKey's probe is an event too: recorded before inserts fail, so the failures logged are this test's request's.
    await eventually(async () => ((await stack.sql('SELECT id FROM events WHERE key_id = $1', [keyId])).length > 0 ? true : undefined), 10_000, 'the probe recorded');
    await stack.sql("CREATE OR REPLACE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'events refused by the test'; END $$");
    await stack.sql('CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_event()');
    try {
      const response = await chat(stack.proxyUrl, key, { messages: [{ role: 'user', content: 'my password is hunter2-do-not-log' }], user: 'user-do-not-log' });
      expect(response.status).toBe(200);
      const requestId = response.headers['x-request-id'] as string;
      // Retries are logged once per 10 s: the line naming this request comes within that.
      const failure = await eventually(async () => stack.logs.find((line) => line.includes('events refused by the test') && line.includes(requestId)), 15_000, 'the failure logged');
      // The failure is logged with what failed, but not with the values the insert carried.
      expect(failure).toContain('INSERT INTO events');
      expect(failure).not.toContain('hunter2-do-not-log');
      expect(failure).not.toContain('user-do-not-log');
    } finally {
      await stack.sql('DROP TRIGGER refuse_events ON events');
    }
  }, 40_000);
});
