import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { createTestDatabase } from '@tollgate/database';
import { FakeOpenAI } from './support/fake-openai';
import { TcpRelay } from './support/tcp-relay';
import { TEST_DATABASE_URL, TestStack, eventually, startTestStack } from './support/test-stack';
import { spawnGateway } from './support/tollgate-process';

const UPSTREAM_SECRET = 'sk-upstream-secret-for-metrics';
const CLIENT_KEY = 'tg-client-key-for-metrics';

/** One sample of the Prometheus text format whose labels are exactly `labels`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    const keys = Object.keys(found);
    if (keys.length === Object.keys(labels).length && keys.every((key) => found[key] === labels[key])) return Number(match[3]);
  }
  return undefined;
}

describe('Prometheus metrics (e2e)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;

  beforeAll(async () => {
    upstream = new FakeOpenAI({ apiKey: UPSTREAM_SECRET });
    await upstream.start();
    stack = await startTestStack();
    const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', {
      provider: 'openai',
      setting: { apiKey: UPSTREAM_SECRET, url: upstream.baseUrl },
    });
    await stack.admin('PUT', '/api/key-management/keys', { name: 'metrics', key: CLIENT_KEY, tags: ['metrics'], settingIds: [setting.body.id] });
  });

  afterAll(async () => {
    await stack?.close();
    await upstream?.stop();
  });

  const scrape = async (): Promise<{ status: number; contentType: string | null; text: string }> => {
    const response = await fetch(`${stack.adminUrl}/metrics`);
    return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
  };

  it('counts every proxied exchange and HTTP response, and shows the state behind the hot path', async () => {
    const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${stack.proxyUrl}/v1`, maxRetries: 0 });
    const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hi' }] };
    await sdk.chat.completions.create(chat);
    await sdk.chat.completions.create(chat);
    for await (const chunk of await sdk.chat.completions.create({ ...chat, stream: true })) void chunk;
    await expect(sdk.chat.completions.create({ ...chat, model: 'fail-500' })).rejects.toMatchObject({ status: 500 });
    const unknownKey = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer tg-not-a-key', 'content-type': 'application/json' },
      body: JSON.stringify(chat),
    });
    expect(unknownKey.status).toBe(401);
    // Every event delivered and recorded: nothing is left pending in the gateway or the queue.
    await eventually(async () => ((await stack.sql('SELECT count(*)::int AS n FROM events'))[0].n === 4 ? true : undefined), 15_000, 'four events');

    const { status, contentType, text } = await eventually(async () => {
      const scraped = await scrape();
      return sample(scraped.text, 'tollgate_event_queue_jobs', { state: 'active' }) === 0 ? scraped : undefined;
    });
    expect(status).toBe(200);
    expect(contentType).toContain('text/plain');

    expect(sample(text, 'tollgate_proxy_requests_total', { provider: 'openai', status: '200', stream: 'false' })).toBe(2);
    expect(sample(text, 'tollgate_proxy_requests_total', { provider: 'openai', status: '200', stream: 'true' })).toBe(1);
    expect(sample(text, 'tollgate_proxy_requests_total', { provider: 'openai', status: '500', stream: 'false' })).toBe(1);
    expect(sample(text, 'tollgate_proxy_request_duration_seconds_count', { provider: 'openai', stream: 'false' })).toBe(3);
    expect(sample(text, 'tollgate_proxy_client_disconnects_total', { provider: 'openai' })).toBeUndefined();

    const chatRoute = { surface: 'proxy', method: 'POST', route: '/v1/chat/completions' };
    expect(sample(text, 'tollgate_http_requests_total', { ...chatRoute, status: '200' })).toBe(3);
    expect(sample(text, 'tollgate_http_requests_total', { ...chatRoute, status: '500' })).toBe(1);
    // Refused before any exchange: only the HTTP metrics see it.
    expect(sample(text, 'tollgate_http_requests_total', { ...chatRoute, status: '401' })).toBe(1);
    expect(sample(text, 'tollgate_http_request_duration_seconds_count', chatRoute)).toBe(5);
    expect(sample(text, 'tollgate_http_requests_total', { surface: 'admin', method: 'PUT', route: '/api/key-management/keys', status: '200' })).toBe(1);

    expect(sample(text, 'tollgate_events_pending')).toBe(0);
    expect(sample(text, 'tollgate_events_dropped_total')).toBe(0);
    expect(sample(text, 'tollgate_event_queue_jobs', { state: 'waiting' })).toBe(0);
    expect(sample(text, 'tollgate_event_queue_jobs', { state: 'failed' })).toBe(0);
    expect(sample(text, 'tollgate_config_entries', { kind: 'keys' })).toBe(1);
    expect(sample(text, 'tollgate_config_entries', { kind: 'provider_settings' })).toBe(1);
    const loadedAt = sample(text, 'tollgate_config_last_full_load_timestamp_seconds')!;
    expect(Date.now() / 1000 - loadedAt).toBeGreaterThanOrEqual(0);
    expect(Date.now() / 1000 - loadedAt).toBeLessThan(120);
    // Node's own metrics come with it.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');

    expect(text).not.toContain(CLIENT_KEY);
    expect(text).not.toContain(UPSTREAM_SECRET);
  });

  it("exposes the worker's view: what it recorded, once per event, with tokens and cost", async () => {
    const [totals] = await stack.sql<{ events: number; prompt: number; completion: number; cost: number }>(
      'SELECT count(*)::int AS events, sum(prompt_token_count)::int AS prompt, sum(completion_token_count)::int AS completion, sum(cost_in_usd)::float AS cost FROM events',
    );
    const response = await fetch(stack.workerMetricsUrl);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(sample(text, 'tollgate_worker_events_recorded_total', { provider: 'openai', price_known: 'true' })).toBe(totals.events);
    expect(sample(text, 'tollgate_worker_tokens_total', { provider: 'openai', kind: 'prompt' })).toBe(totals.prompt);
    expect(sample(text, 'tollgate_worker_tokens_total', { provider: 'openai', kind: 'completion' })).toBe(totals.completion);
    expect(totals.cost).toBeGreaterThan(0);
    expect(sample(text, 'tollgate_worker_cost_usd_total', { provider: 'openai' })).toBeCloseTo(totals.cost, 12);
    expect(sample(text, 'tollgate_worker_batch_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tollgate_worker_batch_failures_total')).toBe(0);
    // Settled with Redis answering: no failure, and the series there to alert on from the start.
    expect(sample(text, 'tollgate_limit_store_failures_total', { operation: 'settle' })).toBe(0);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect((await fetch(stack.workerMetricsUrl.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('does not count an event the worker is handed again after recording it', async () => {
    const recorded = async () => sample(await (await fetch(stack.workerMetricsUrl)).text(), 'tollgate_worker_events_recorded_total', { provider: 'openai', price_known: 'true' });
    const eventCount = async () => (await stack.sql<{ n: number }>('SELECT count(*)::int AS n FROM events'))[0].n;
    const queue = stack.eventsQueue();
    // Hold the next event in the queue, to keep a copy of its job.
    await queue.pause();
    const before = await eventCount();
    const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${stack.proxyUrl}/v1`, maxRetries: 0 });
    await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    const [job] = await eventually(async () => {
      const waiting = await queue.getWaiting();
      return waiting.length > 0 ? waiting : undefined;
    });
    await queue.resume();
    await eventually(async () => ((await eventCount()) === before + 1 ? true : undefined), 10_000, 'the event recorded');
    const countedOnce = await eventually(async () => {
      const value = await recorded();
      return value === before + 1 ? value : undefined;
    });
    // Delivered again (a job retried after its batch was stored, say): stored once, counted once.
    const again = await queue.add(job.name, job.data, { jobId: `${job.id}-again` });
    await eventually(async () => ((await again.getState()) === 'completed' ? true : undefined), 10_000, 'the copy processed');
    expect(await eventCount()).toBe(before + 1);
    expect(await recorded()).toBe(countedOnce);
  });

  it('counts a client that leaves mid-stream, with status 499 rather than that of the aborted call', async () => {
    const metric = async (name: string, labels: Record<string, string>) => sample((await scrape()).text, name, labels) ?? 0;
    const left = { provider: 'openai', status: '499', stream: 'true' };
    const leftHttp = { surface: 'proxy', method: 'POST', route: '/v1/chat/completions', status: '499' };
    const before = await metric('tollgate_proxy_client_disconnects_total', { provider: 'openai' });
    const [exchangesBefore, httpBefore] = [await metric('tollgate_proxy_requests_total', left), await metric('tollgate_http_requests_total', leftHttp)];
    const abort = new AbortController();
    const response = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    await eventually(async () => ((await metric('tollgate_proxy_client_disconnects_total', { provider: 'openai' })) === before + 1 ? true : undefined), 10_000, 'the disconnect counted');
    expect(await metric('tollgate_proxy_requests_total', left)).toBe(exchangesBefore + 1);
    expect(await metric('tollgate_http_requests_total', leftHttp)).toBe(httpBefore + 1);
  });

  it('measures durations from the gateway\'s own sub-millisecond answers to streams past the 10-minute default timeout', async () => {
    const { text } = await scrape();
    for (const le of ['0.001', '0.0025', '600', '1800']) {
      expect([le, text.includes(`tollgate_proxy_request_duration_seconds_bucket{le="${le}"`)]).toEqual([le, true]);
    }
  });

  it('counts a stream that fails after it began, which its status (200, sent with the first event) cannot tell', async () => {
    const metric = async (name: string, labels: Record<string, string>) => sample((await scrape()).text, name, labels) ?? 0;
    const stream = async (model: string) => {
      const response = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      expect(response.status).toBe(200);
      return response.text();
    };
    const before = await metric('tollgate_proxy_stream_failures_total', { provider: 'openai' });
    // A stream that completes is no failure.
    expect(await stream('gpt-4o-mini')).toContain('data: [DONE]');
    // The provider's connection dies after two chunks: the client gets an error frame.
    expect(await stream('stream-break')).toContain('"error"');
    await eventually(async () => ((await metric('tollgate_proxy_stream_failures_total', { provider: 'openai' })) === before + 1 ? true : undefined), 10_000, 'the broken stream counted');
    expect(await metric('tollgate_proxy_stream_failures_total', { provider: 'openai' })).toBe(before + 1);
  });

  it('labels exchanges refused before routing with provider none, whatever the URL names', async () => {
    const response = await fetch(`${stack.proxyUrl}/api/custom/providers/made-up-provider-123/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Hi' }),
    });
    expect(response.status).toBe(404);
    const { text } = await scrape();
    expect(text).not.toContain('made-up-provider-123');
    expect(sample(text, 'tollgate_proxy_requests_total', { provider: 'none', status: '404', stream: 'false' })).toBe(1);
  });

  it("counts a key's request refused before its route ran (body not JSON, compressed): each is an event", async () => {
    const metric = async (labels: Record<string, string>) => sample((await scrape()).text, 'tollgate_proxy_requests_total', labels) ?? 0;
    const invalid = { provider: 'none', status: '400', stream: 'false' };
    const unsupported = { provider: 'none', status: '415', stream: 'false' };
    const [invalidBefore, unsupportedBefore] = [await metric(invalid), await metric(unsupported)];
    const send = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', ...headers }, body });
    const notJson = await send('{"model": ');
    const compressed = await send('{}', { 'content-encoding': 'gzip' });
    expect([notJson.status, compressed.status]).toEqual([400, 415]);
    const ids = [notJson.headers.get('x-request-id'), compressed.headers.get('x-request-id')];
    // The worker records both, as it does every request of a key...
    await eventually(async () => ((await stack.sql('SELECT id FROM events WHERE id = ANY($1)', [ids])).length === 2 ? true : undefined), 10_000, 'both events');
    // ...and the gateway counts both, one exchange per event.
    expect(await metric(invalid)).toBe(invalidBefore + 1);
    expect(await metric(unsupported)).toBe(unsupportedBefore + 1);
  });

  it('serves /metrics on the admin listener only', async () => {
    expect((await fetch(`${stack.proxyUrl}/metrics`)).status).toBe(404);
  });

  it("shows the worker's lag: the events waiting, the oldest one's age, and each event's time from its request's end to its row", async () => {
    const workerText = async () => (await fetch(stack.workerMetricsUrl)).text();
    const lag = (text: string, part: string, labels: Record<string, string> = {}) => sample(text, `tollgate_worker_event_lag_seconds_${part}`, labels) ?? 0;
    const before = await workerText();
    // Nothing waits: 0, not absent (an alert on the age reads it).
    expect(sample(before, 'tollgate_worker_events_waiting')).toBe(0);
    expect(sample(before, 'tollgate_worker_oldest_waiting_event_age_seconds')).toBe(0);
    const queue = stack.eventsQueue();
    // The queue paused, as a worker too busy or stopped leaves it: the event waits.
    await queue.pause();
    let resumedAt = 0;
    try {
      const sentAt = Date.now();
      const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${stack.proxyUrl}/v1`, maxRetries: 0 });
      await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
      const answeredAt = Date.now();
      await eventually(async () => (sample(await workerText(), 'tollgate_worker_events_waiting') === 1 ? true : undefined), 10_000, 'the event waiting');
      const seenWaitingAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const scrapedAt = Date.now();
      const age = sample(await workerText(), 'tollgate_worker_oldest_waiting_event_age_seconds')!;
      // Queued before it was seen waiting, after the request was sent.
      expect(age).toBeGreaterThanOrEqual((scrapedAt - seenWaitingAt) / 1000);
      expect(age).toBeLessThanOrEqual((Date.now() - sentAt) / 1000);

      await queue.resume();
      resumedAt = Date.now();
      const after = await eventually(async () => {
        const text = await workerText();
        return lag(text, 'count') === lag(before, 'count') + 1 ? text : undefined;
      }, 10_000, 'the event recorded');
      const observed = lag(after, 'sum') - lag(before, 'sum');
      // From the request's end (the gateway makes its event once the answer is sent, so a few
      // milliseconds after the client has it) to its row, stored once the queue resumed.
      expect(observed).toBeGreaterThanOrEqual((resumedAt - answeredAt) / 1000 - 0.1);
      expect(observed).toBeLessThanOrEqual((Date.now() - sentAt) / 1000);
      expect(lag(after, 'bucket', { le: '1' })).toBe(lag(before, 'bucket', { le: '1' }));
      expect(lag(after, 'bucket', { le: '+Inf' })).toBe(lag(before, 'bucket', { le: '+Inf' }) + 1);
    } finally {
      if (resumedAt === 0) await queue.resume();
    }
    await eventually(async () => {
      const text = await workerText();
      return sample(text, 'tollgate_worker_events_waiting') === 0 && sample(text, 'tollgate_worker_oldest_waiting_event_age_seconds') === 0 ? true : undefined;
    }, 10_000, 'nothing waiting');
  });

  it("counts failed reloads (the snapshot's, the price overrides', the custom providers'), and the snapshot's last good read stops advancing while Postgres is out of this replica's reach", async () => {
    // A replica of this stack reaching Postgres through a relay that the test cuts.
    const { relay, port } = await TcpRelay.start(Number(new URL(stack.databaseUrl).port || 5432));
    const throughRelay = new URL(stack.databaseUrl);
    throughRelay.port = String(port);
    const replica = await spawnGateway({ ...stack.replicaEnv, DATABASE_URL: throughRelay.toString(), CONFIG_RESYNC_INTERVAL_MS: '200', CONFIG_POLL_INTERVAL_MS: '200' });
    const metrics = async () => (await fetch(`${replica.adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const lastRead = (text: string) => sample(text, 'tollgate_config_last_reload_timestamp_seconds')!;
    const failures = (text: string, kind: string) => sample(text, 'tollgate_config_reload_failures_total', { kind });
    try {
      const healthy = await metrics();
      for (const kind of ['full', 'changed', 'announced', 'model_prices', 'custom_providers']) expect(failures(healthy, kind)).toBe(0);
      expect(Date.now() / 1000 - lastRead(healthy)).toBeLessThan(10);
      // What changed is read every 200 ms: each read that succeeds moves it on.
      await eventually(async () => (lastRead(await metrics()) > lastRead(healthy) ? true : undefined), 5_000, 'the next read');

      // Postgres out of reach: connections reset, new ones refused. The replica keeps serving its snapshot.
      relay.resetAll();
      const failing = await eventually(async () => {
        const text = await metrics();
        return failures(text, 'changed')! >= 2 ? text : undefined;
      }, 10_000, 'failed reloads counted');
      // The price overrides and custom providers are reloaded in full every resync interval (200 ms) too.
      await eventually(async () => {
        const text = await metrics();
        return failures(text, 'model_prices')! >= 1 && failures(text, 'custom_providers')! >= 1 ? true : undefined;
      }, 10_000, 'failed reloads of the price overrides and custom providers counted');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const stale = await metrics();
      expect(lastRead(stale)).toBe(lastRead(failing));
      expect(failures(stale, 'changed')).toBeGreaterThan(failures(failing, 'changed')!);

      relay.reopen();
      await eventually(async () => (lastRead(await metrics()) > lastRead(stale) ? true : undefined), 15_000, 'a read once Postgres is back');
    } finally {
      relay.reopen();
      await replica.stop();
      relay.cut();
    }
  }, 60_000);

  it('answers a scrape of a gateway started while Redis is down, instead of hanging for the outage', async () => {
    // A port nothing listens on: taken, then freed.
    const deadPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const database = await createTestDatabase(TEST_DATABASE_URL);
    const gateway = await spawnGateway({
      DATABASE_URL: database.url,
      REDIS_URL: `redis://127.0.0.1:${deadPort}`,
      ADMIN_API_KEY: `admin-${randomBytes(16).toString('hex')}`,
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      QUEUE_PREFIX: `tgtest-${randomBytes(4).toString('hex')}`,
    });
    try {
      // Before, the scrape waited on the queue connection for as long as Redis stayed away.
      const response = await fetch(`${gateway.adminUrl}/metrics`, { signal: AbortSignal.timeout(15_000) });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(sample(text, 'tollgate_events_pending')).toBe(0);
      expect(sample(text, 'tollgate_event_queue_jobs', { state: 'waiting' })).toBeUndefined();
      // Said once for the outage, not once per scrape (Prometheus scrapes every few seconds, for as long as it lasts).
      for (let n = 0; n < 3; n++) await (await fetch(`${gateway.adminUrl}/metrics`, { signal: AbortSignal.timeout(15_000) })).text();
      const unavailable = () => gateway.process.lines.filter((line) => line.includes('metrics: event queue counts unavailable'));
      await eventually(async () => (unavailable().length > 0 ? true : undefined), 5_000, 'the warning');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(unavailable()).toHaveLength(1);
    } finally {
      await gateway.stop();
      await database.drop();
    }
  }, 40_000);
});
