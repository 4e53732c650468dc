import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { MetricsDataPoint } from '@tollgate/reporting';
import { createKey, createSetting } from './support/provider-e2e';
import { TestStack, startTestStack } from './support/test-stack';

interface EventRow {
  at: number;
  keyId: string;
  tags?: string[];
  model?: string;
  status?: number;
  cost?: number | null;
  latency?: number;
  prompt?: number;
  completion?: number;
  customId?: string | null;
  userId?: string | null;
}

/** The metrics endpoint's data point, as the service defines it. */
type DataPoint = MetricsDataPoint;

interface Problem {
  status: number;
  type: string;
  detail: string;
}

/**
 * The reporting side of the admin API (BricksLLM's contract): GET /api/events, the paged
 * /api/v2/events, POST /api/reporting/events (metrics per interval) and /api/reporting/top-keys,
 * over events written straight into Postgres at chosen times (the worker writes the same rows;
 * here the times must be exact).
 */
describe('reporting (e2e): events, metrics and top keys', () => {
  let stack: TestStack;
  let alpha: string;
  let beta: string;
  let gamma: string;
  /** A minute boundary well in the past: the series starts here. */
  const t0 = 1_700_000_040;

  const insert = (row: EventRow) =>
    stack.sql(
      `INSERT INTO events (id, created_at, tags, key_id, provider, model, status, prompt_token_count, completion_token_count, cost_in_usd, price_known, latency_in_ms, path, method, custom_id, user_id)
       VALUES ($1, to_timestamp($2), $3, $4, 'openai', $5, $6, $7, $8, $9, $10, $11, '/v1/chat/completions', 'POST', $12, $13)`,
      [
        randomUUID(),
        row.at,
        row.tags ?? [],
        row.keyId,
        row.model ?? 'gpt-4o-mini',
        row.status ?? 200,
        row.prompt ?? 10,
        row.completion ?? 5,
        row.cost === undefined ? 0.001 : row.cost,
        row.cost !== null,
        row.latency ?? 100,
        row.customId ?? null,
        row.userId ?? null,
      ],
    );

  beforeAll(async () => {
    stack = await startTestStack();
    const setting = await createSetting(stack, 'openai', { apiKey: 'sk-reporting', url: 'http://127.0.0.1:9/v1' });
    alpha = await createKey(stack, 'tg-reporting-alpha', [setting], { name: 'team alpha', tags: ['team-a'] });
    beta = await createKey(stack, 'tg-reporting-beta', [setting], { name: 'team beta', tags: ['team-b'] });
    gamma = await createKey(stack, 'tg-reporting-gamma', [setting], { name: 'gamma 100%_key', tags: ['team-b'] });
    expect((await stack.admin('PATCH', `/api/key-management/keys/${gamma}`, { revoked: true, revokedReason: 'done' })).status).toBe(200);
    // Interval [t0, t0+60): two of alpha's (one failed); [t0+60, t0+120): one of beta's, unpriced,
    // and one of gamma's; [t0+120, t0+180): none; t0+180 is past the end.
    await insert({ at: t0 + 10.5, keyId: alpha, tags: ['team-a'], model: 'gpt-4o-mini', cost: 0.1, latency: 100, prompt: 100, completion: 10, customId: 'c1', userId: 'u1' });
    await insert({ at: t0 + 20, keyId: alpha, tags: ['team-a'], model: 'gpt-4o', status: 500, cost: 0.2, latency: 300, prompt: 200, completion: 20, customId: 'c2', userId: 'u1' });
    await insert({ at: t0 + 70, keyId: beta, tags: ['team-b'], model: 'gpt-4o-mini', cost: null, latency: 200, prompt: 300, completion: 30, userId: 'u2' });
    await insert({ at: t0 + 119.999, keyId: gamma, tags: ['team-b'], model: 'gpt-4o', cost: 0.5, latency: 400, prompt: 1, completion: 1 });
    await insert({ at: t0 + 180, keyId: alpha, tags: ['team-a'], cost: 9, latency: 10_000 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const metrics = (body: Record<string, unknown>) => stack.admin<{ dataPoints: DataPoint[]; latencyInMsMedian: number; latencyInMs99th: number }>('POST', '/api/reporting/events', body);
  const zero = { numberOfRequests: 0, costInUsd: 0, latencyInMs: 0, promptTokenCount: 0, completionTokenCount: 0, successCount: 0, unpricedRequestCount: 0, model: '', keyId: '', customId: '', userId: '' };

  describe('POST /api/reporting/events', () => {
    it('gives one data point per interval of [start, end), zeros where nothing happened, and the latency percentiles of the range', async () => {
      const response = await metrics({ start: t0, end: t0 + 180, increment: 60 });
      expect(response.status).toBe(200);
      expect(response.body.dataPoints).toEqual([
        { ...zero, timeStamp: t0, numberOfRequests: 2, costInUsd: 0.3, latencyInMs: 400, promptTokenCount: 300, completionTokenCount: 30, successCount: 1 },
        // beta's request has no price: counted apart, not as $0.
        { ...zero, timeStamp: t0 + 60, numberOfRequests: 2, costInUsd: 0.5, latencyInMs: 600, promptTokenCount: 301, completionTokenCount: 31, successCount: 2, unpricedRequestCount: 1 },
        { ...zero, timeStamp: t0 + 120 },
      ]);
      // Latencies 100, 300, 200, 400: the event at t0+180 is outside.
      expect(response.body.latencyInMsMedian).toBe(250);
      expect(response.body.latencyInMs99th).toBeCloseTo(397, 6);
    });

    it('breaks data points down by the requested filters, and narrows to keys, tags, custom ids and users', async () => {
      const byModel = await metrics({ start: t0, end: t0 + 120, increment: 60, filters: ['model', 'keyId'] });
      expect(byModel.body.dataPoints.map((p) => [p.timeStamp, p.model, p.keyId, p.numberOfRequests])).toEqual([
        [t0, 'gpt-4o', alpha, 1],
        [t0, 'gpt-4o-mini', alpha, 1],
        [t0 + 60, 'gpt-4o', gamma, 1],
        [t0 + 60, 'gpt-4o-mini', beta, 1],
      ]);
      const total = async (body: Record<string, unknown>) =>
        (await metrics({ start: t0, end: t0 + 180, increment: 180, ...body })).body.dataPoints.reduce((sum, p) => sum + p.numberOfRequests, 0);
      expect(await total({ keyIds: [alpha] })).toBe(2);
      expect(await total({ keyIds: [alpha, beta] })).toBe(3);
      expect(await total({ tags: ['team-b'] })).toBe(2);
      expect(await total({ customIds: ['c2'] })).toBe(1);
      expect(await total({ userIds: ['u1', 'u2'] })).toBe(3);
      // Malformed key ids match nothing, not everything.
      expect(await total({ keyIds: ['not-a-uuid'] })).toBe(0);
    });

    it('refuses what it cannot answer: a range that runs backwards, no or a zero increment, too many intervals, unknown filters or fields', async () => {
      for (const body of [
        { start: t0 + 60, end: t0, increment: 60 },
        { start: t0, end: t0 + 60 },
        { start: t0, end: t0 + 60, increment: 0 },
        { start: 0, end: 2_000_000_000, increment: 1 },
        { start: t0, end: t0 + 60, increment: 60, filters: ['provider'] },
        { start: t0, end: t0 + 60, increment: 60, keyId: alpha },
        { end: t0 + 60, increment: 60 },
        { start: 1e20, end: 2e20, increment: 60 },
        // A JSON body has its documented types: text is converted only where everything is text (a query string).
        { start: String(t0), end: t0 + 60, increment: 60 },
        { start: t0, end: t0 + 60, increment: '60' },
        { start: t0, end: t0 + 60, increment: 60, keyIds: `${alpha},${alpha}` },
        { start: t0, end: t0 + 60, increment: 60, filters: 'model' },
      ]) {
        const response = await stack.admin<Problem>('POST', '/api/reporting/events', body);
        expect([body, response.status, response.body.type]).toEqual([body, 400, '/errors/invalid-request-error']);
      }
      for (const body of [{ start: t0, end: t0 + 60, returnCount: 'true' }, { start: t0, end: t0 + 60, limit: '1' }]) {
        expect([body, (await stack.admin('POST', '/api/v2/events', body)).status]).toEqual([body, 400]);
      }
      // The same fields as a query string convert.
      expect((await stack.admin('GET', `/api/v2/events?start=${t0}&end=${t0 + 60}&returnCount=true&limit=1&keyIds=${alpha},${alpha}`)).status).toBe(200);
    });
  });

  it('refuses a breakdown of more than 10,000 data points, rather than build it in memory', async () => {
    const t1 = t0 + 1_000_000;
    // 10,001 custom ids in one interval.
    await stack.sql(
      `INSERT INTO events (id, created_at, tags, key_id, provider, model, status, prompt_token_count, completion_token_count, cost_in_usd, price_known, latency_in_ms, path, method, custom_id)
       SELECT gen_random_uuid()::text, to_timestamp($1), '{}', $2, 'openai', 'gpt-4o-mini', 200, 1, 1, 0.001, true, 10, '/v1/chat/completions', 'POST', 'many-' || n
         FROM generate_series(1, 10001) AS n`,
      [t1, alpha],
    );
    const grouped = await stack.admin<Problem>('POST', '/api/reporting/events', { start: t1, end: t1 + 60, increment: 60, filters: ['customId'] });
    expect([grouped.status, grouped.body.detail]).toEqual([400, expect.stringContaining('more than 10000 data points')]);
    // The key's custom ids: the first 10,000 of its 10,003, in order.
    const customIds = await stack.admin<string[]>('GET', `/api/reporting/custom-ids?keyId=${alpha}`);
    expect([customIds.body.length, customIds.body.slice(0, 4)]).toEqual([10_000, ['c1', 'c2', 'many-1', 'many-10']]);
    const whole = await metrics({ start: t1, end: t1 + 60, increment: 60 });
    expect(whole.body.dataPoints).toEqual([{ ...zero, timeStamp: t1, numberOfRequests: 10_001, costInUsd: 10.001, latencyInMs: 100_010, promptTokenCount: 10_001, completionTokenCount: 10_001, successCount: 10_001 }]);
  });

  it('lists events with their bodies up to 16 MB a page, the rest marked bodies_omitted; GET /api/events/:id returns one whole', async () => {
    const t2 = t0 + 2_000_000;
    // 12 events with 1 MB of request and 1 MB of response each: 24 MB in all.
    await stack.sql(
      `INSERT INTO events (id, created_at, tags, key_id, provider, model, status, prompt_token_count, completion_token_count, cost_in_usd, price_known, latency_in_ms, path, method, request, response)
       SELECT 'big-' || lpad(n::text, 2, '0'), to_timestamp($1::bigint + n), '{}', $2, 'openai', 'gpt-4o-mini', 200, 1, 1, 0.001, true, 10, '/v1/chat/completions', 'POST',
              json_build_object('input', repeat('q', 1000000))::text, repeat('r', 1000000)
         FROM generate_series(1, 12) AS n`,
      [t2, beta],
    );
    type Listed = { id: string; request: { input: string } | null; response: string | null; bodies_omitted?: true };
    const listed = await stack.admin<Listed[]>('GET', `/api/events?keyIds=${beta}&start=${t2}&end=${t2 + 100}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(12);
    const withBodies = listed.body.filter((event) => event.request !== null);
    // Newest first, whole bodies while they fit in 16 MB (8 events of 2 MB), then none.
    expect(withBodies.map((event) => event.id)).toEqual(['big-12', 'big-11', 'big-10', 'big-09', 'big-08', 'big-07', 'big-06', 'big-05']);
    for (const event of withBodies) expect([event.request!.input.length, event.response!.length, event.bodies_omitted]).toEqual([1_000_000, 1_000_000, undefined]);
    for (const event of listed.body.slice(8)) expect([event.id, event.request, event.response, event.bodies_omitted]).toEqual([event.id, null, null, true]);
    const paged = await stack.admin<{ events: Listed[] }>('POST', '/api/v2/events', { start: t2, end: t2 + 100, keyIds: [beta], limit: 12 });
    expect(paged.body.events.filter((event) => event.bodies_omitted).map((event) => event.id)).toEqual(['big-04', 'big-03', 'big-02', 'big-01']);
    const one = await stack.admin<Listed>('GET', '/api/events/big-01');
    expect([one.status, one.body.request?.input.length, one.body.response?.length, one.body.bodies_omitted]).toEqual([200, 1_000_000, 1_000_000, undefined]);
    expect((await stack.admin<Problem>('GET', '/api/events/no-such-event')).status).toBe(404);
  });

  describe('POST /api/reporting/top-keys', () => {
    const topKeys = async (body: Record<string, unknown>) => {
      const response = await stack.admin<{ dataPoints: Array<{ keyId: string; costInUsd: number; unpricedRequestCount: number }> }>('POST', '/api/reporting/top-keys', body);
      expect(response.status).toBe(200);
      return response.body.dataPoints;
    };

    it('ranks keys by what their priced requests in [start, end) cost; one whose requests have no price is listed, at $0 with their count', async () => {
      expect(await topKeys({ start: t0, end: t0 + 180 })).toEqual([
        { keyId: gamma, costInUsd: 0.5, unpricedRequestCount: 0 },
        { keyId: alpha, costInUsd: 0.3, unpricedRequestCount: 0 },
        { keyId: beta, costInUsd: 0, unpricedRequestCount: 1 },
      ]);
      expect((await topKeys({ start: t0, end: t0 + 181 }))[0]).toEqual({ keyId: alpha, costInUsd: 9.3, unpricedRequestCount: 0 });
      expect((await topKeys({ start: t0, end: t0 + 180, order: 'asc' })).map((p) => p.keyId)).toEqual([beta, alpha, gamma]);
      expect((await topKeys({ start: t0, end: t0 + 180, limit: 1, offset: 1 })).map((p) => p.keyId)).toEqual([alpha]);
    });

    it("filters by the keys' tags, name (wildcards taken literally) and revoked status", async () => {
      expect((await topKeys({ start: t0, end: t0 + 180, tags: ['team-b'] })).map((p) => p.keyId)).toEqual([gamma, beta]);
      expect((await topKeys({ start: t0, end: t0 + 180, name: '100%_' })).map((p) => p.keyId)).toEqual([gamma]);
      expect((await topKeys({ start: t0, end: t0 + 180, name: '%' })).map((p) => p.keyId)).toEqual([gamma]);
      expect((await topKeys({ start: t0, end: t0 + 180, revoked: false })).map((p) => p.keyId)).toEqual([alpha, beta]);
      expect((await topKeys({ start: t0, end: t0 + 180, keyIds: [beta] })).map((p) => p.keyId)).toEqual([beta]);
      expect((await topKeys({ start: t0, end: t0 + 180, keyIds: [beta, gamma], name: 'zzz' })).map((p) => p.keyId)).toEqual([]);
      expect((await stack.admin('POST', '/api/reporting/top-keys', { start: t0 })).status).toBe(400);
      expect((await stack.admin('POST', '/api/reporting/top-keys', { start: t0, end: t0 + 1, limit: 5_000 })).status).toBe(400);
    });
  });

  describe('GET /api/events', () => {
    const ids = async (query: string) => {
      const response = await stack.admin<Array<{ key_id: string; created_at: number }>>('GET', `/api/events?${query}`);
      expect(response.status).toBe(200);
      return response.body;
    };

    it('includes the whole of its end second: an event shown at created_at T is found by end=T', async () => {
      const found = await ids(`keyIds=${alpha}&start=${t0 + 10}&end=${t0 + 10}`);
      expect(found).toHaveLength(1);
      expect(found[0].created_at).toBe(t0 + 10);
    });

    it('refuses malformed or out-of-range times, unknown and repeated parameters with a 400 (a misspelt filter is not dropped)', async () => {
      for (const query of [
        `keyIds=${alpha}&start=99999999999999&end=99999999999999`,
        `keyIds=${alpha}&start=0&end=1e20`,
        `keyIds=${alpha}&start=0x10&end=${t0}`,
        `keyIds=${alpha}&start=%20&end=${t0}`,
        `keyId=${alpha}&start=0&end=${t0}`,
        'customId=c1&customId=c2',
        `keyIds=${alpha}`,
        `keyIds=${alpha}&start=${t0 + 10}&end=${t0}`,
      ]) {
        const response = await stack.admin<Problem>('GET', `/api/events?${query}`);
        expect([query, response.status]).toEqual([query, 400]);
      }
    });
    describe('pages', () => {
      const t3 = t0 + 3_000_000;
      type Page = { status: number; events: Array<{ id: string; created_at: number; user_id: string | null }>; link: string | null; cursor: string | null };
      const page = async (path: string): Promise<Page> => {
        const response = await fetch(`${stack.adminUrl}${path}`, { headers: { 'x-api-key': stack.adminKey } });
        const body = (await response.json()) as Page['events'];
        return { status: response.status, events: body, link: response.headers.get('link'), cursor: response.headers.get('x-next-cursor') };
      };
      /** Follows rel="next" from `path` to the last page; `between` runs before each next page is asked for. */
      const walk = async (path: string, between: () => Promise<unknown> = async () => undefined) => {
        const pages: Page[] = [];
        for (let next: string | null = path; next !== null; ) {
          const current = await page(next);
          expect(current.status).toBe(200);
          pages.push(current);
          const link = current.link === null ? null : /^<([^>]+)>; rel="next"$/.exec(current.link);
          expect([current.link === null, current.cursor === null]).toEqual([link === null, link === null]);
          if (link) expect(new URL(link[1], 'http://x').searchParams.get('cursor')).toBe(current.cursor);
          next = link ? link[1] : null;
          if (next) await between();
        }
        return pages;
      };

      beforeAll(async () => {
        // 2,500 of alpha's events over 10 seconds, 250 a second: many share a created_at, down to
        // the microsecond (the cursor must not split or repeat them). Even ones are user "walker".
        await stack.sql(
          `INSERT INTO events (id, created_at, tags, key_id, provider, model, status, prompt_token_count, completion_token_count, cost_in_usd, price_known, latency_in_ms, path, method, user_id)
           SELECT 'walk-' || lpad(n::text, 4, '0'), to_timestamp($1::bigint + n % 10 + (n % 3) * 0.000001), '{}', $2, 'openai', 'gpt-4o-mini', 200, 1, 1, 0.001, true, 10, '/v1/chat/completions', 'POST',
                  CASE WHEN n % 2 = 0 THEN 'walker' ELSE 'other' END
             FROM generate_series(1, 2500) AS n`,
          [t3, alpha],
        );
      });

      it('says when more events match than a page holds (Link rel="next", x-next-cursor), and only then; a client of the documented parameters gets the first 1,000 as before', async () => {
        const first = await page(`/api/events?keyIds=${alpha}&start=${t3}&end=${t3 + 99}`);
        expect([first.status, first.events.length, first.link === null, first.cursor === null]).toEqual([200, 1_000, false, false]);
        const whole = await page(`/api/events?keyIds=${alpha}&start=${t3 + 9}&end=${t3 + 99}`);
        expect([whole.events.length, whole.link, whole.cursor]).toEqual([250, null, null]);
        // The last page is exactly full: nothing more, so no next page.
        const pages = await walk(`/api/events?keyIds=${alpha}&start=${t3}&end=${t3 + 99}&limit=500`);
        expect(pages.map((p) => [p.events.length, p.link !== null])).toEqual([[500, true], [500, true], [500, true], [500, true], [500, false]]);
      });

      it('walks every event exactly once, newest first, while events are recorded between pages', async () => {
        let late = 0;
        // Between pages: newer events, and one in the second already listed (none of these was there when the walk began).
        const record = () =>
          stack.sql(
            `INSERT INTO events (id, created_at, tags, key_id, provider, model, status, prompt_token_count, completion_token_count, cost_in_usd, price_known, latency_in_ms, path, method)
             SELECT 'late-' || $3::int || '-' || n, to_timestamp($1::bigint + CASE WHEN n = 1 THEN 9 ELSE 50 END), '{}', $2, 'openai', 'gpt-4o-mini', 200, 1, 1, 0.001, true, 10, '/v1/chat/completions', 'POST'
               FROM generate_series(1, 3) AS n`,
            [t3, alpha, ++late],
          );
        const pages = await walk(`/api/events?keyIds=${alpha}&start=${t3}&end=${t3 + 99}&limit=700`, record);
        expect(late).toBe(3);
        const listed = pages.flatMap((p) => p.events);
        const walked = listed.map((event) => event.id).filter((id) => id.startsWith('walk-'));
        expect(walked).toHaveLength(2_500);
        expect(new Set(walked).size).toBe(2_500);
        expect(new Set(listed.map((event) => event.id)).size).toBe(listed.length);
        const times = listed.map((event) => event.created_at);
        expect(times).toEqual([...times].sort((a, b) => b - a));
      });

      it('filters by userId, and refuses a limit out of range and a cursor it did not give with a 400', async () => {
        const pages = await walk(`/api/events?userId=walker&start=${t3}&end=${t3 + 99}`);
        expect(pages.map((p) => p.events.length)).toEqual([1_000, 250]);
        expect(pages.flatMap((p) => p.events).every((event) => event.user_id === 'walker')).toBe(true);
        for (const query of ['limit=1001', 'limit=-1', 'limit=2.5', 'limit=ten', 'cursor=abc', 'cursor=1_a%20b', 'cursor=1234567890123456789_YQ']) {
          const response = await stack.admin<Problem>('GET', `/api/events?customId=c1&${query}`);
          expect([query, response.status, response.body.type]).toEqual([query, 400, '/errors/invalid-request-error']);
        }
        // A well-formed cursor far in the future or the past is a position like any other.
        expect((await page(`/api/events?userId=walker&cursor=999999999999999999_YQ`)).events).toHaveLength(1_000);
        expect((await page(`/api/events?userId=walker&cursor=0_YQ`)).events).toEqual([]);
      });
    });
  });

  describe('GET and POST /api/v2/events', () => {
    type Page = { events: Array<{ key_id: string; cost_in_usd: number | null; created_at: number }>; count?: number };

    it('pages through the events of a range, newest first, with their count on request', async () => {
      const first = await stack.admin<Page>('GET', `/api/v2/events?start=${t0}&end=${t0 + 180}&limit=3&returnCount=true`);
      expect(first.status).toBe(200);
      expect(first.body.count).toBe(4);
      expect(first.body.events.map((e) => e.created_at)).toEqual([t0 + 119, t0 + 70, t0 + 20]);
      const second = await stack.admin<Page>('POST', '/api/v2/events', { start: t0, end: t0 + 180, limit: 3, offset: 3 });
      expect(second.status).toBe(200);
      expect(second.body.count).toBeUndefined();
      expect(second.body.events.map((e) => e.created_at)).toEqual([t0 + 10]);
    });

    it('filters by users, custom ids, keys and tags, and orders by cost', async () => {
      const page = async (query: string) => (await stack.admin<Page>('GET', `/api/v2/events?start=${t0}&end=${t0 + 181}&${query}`)).body.events;
      expect((await page('userIds=u1')).map((e) => e.key_id)).toEqual([alpha, alpha]);
      expect(await page('customIds=c1&customIds=c2')).toHaveLength(2);
      // A custom id may hold a comma: in a query string it is one id, not two.
      expect(await page('customIds=c1,c2')).toHaveLength(0);
      expect((await page(`keyIds=${beta}&keyIds=${gamma}`)).map((e) => e.key_id)).toEqual([gamma, beta]);
      expect(await page('tags=team-b')).toHaveLength(2);
      expect((await page('costOrder=desc')).map((e) => e.cost_in_usd)).toEqual([9, 0.5, 0.2, 0.1, null]);
      expect((await page('costOrder=asc&dateOrder=asc')).map((e) => e.cost_in_usd)).toEqual([null, 0.1, 0.2, 0.5, 9]);
    });

    it('reads a GET\'s JSON body as its filters, as BricksLLM\'s clients send them (fetch cannot send one: node:http does)', async () => {
      const get = (body: string, options: { query?: string; contentType?: string; adminKey?: string; path?: string } = {}) =>
        new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
          const request = http.request(
            `${stack.adminUrl}${options.path ?? '/api/v2/events'}${options.query ?? ''}`,
            { method: 'GET', headers: { 'x-api-key': options.adminKey ?? stack.adminKey, 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) } },
            (response) => {
              const chunks: Buffer[] = [];
              response.on('data', (chunk: Buffer) => chunks.push(chunk));
              response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
            },
          );
          request.on('error', reject);
          request.end(body);
        });
      const filtered = await get(JSON.stringify({ start: t0, end: t0 + 181, keyIds: [beta, gamma], returnCount: true }));
      expect(filtered.status).toBe(200);
      expect((filtered.body as Page).events.map((e) => e.key_id)).toEqual([gamma, beta]);
      expect((filtered.body as Page).count).toBe(2);
      // The same checks as every other way in.
      expect((await get(JSON.stringify({ start: t0, end: t0 + 60, bogus: 1 }))).status).toBe(400);
      expect((await get(JSON.stringify([1, 2]))).status).toBe(400);
      // JSON, so a JSON body's types: text is not converted as a query string's is.
      expect((await get(JSON.stringify({ start: String(t0), end: t0 + 60 }))).status).toBe(400);
      expect((await get(JSON.stringify({ start: t0, end: t0 + 60, returnCount: 'true' }))).status).toBe(400);
      expect((await get(JSON.stringify({ start: t0, end: t0 + 60, keyIds: `${beta},${gamma}` }))).status).toBe(400);
      expect((await get('{"start":')).status).toBe(400);
      expect((await get(JSON.stringify({ start: t0, end: t0 + 60 }), { query: `?start=${t0}&end=${t0 + 60}` })).body.detail).toContain('not both');
      expect((await get('start=1', { contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
      expect((await get(JSON.stringify({ start: t0, end: t0 + 60 }), { adminKey: 'wrong-admin-key-123' })).status).toBe(401);
      expect((await get(JSON.stringify({ start: t0, end: t0 + 60, tags: ['x'.repeat(1_100_000)] }))).status).toBe(413);
      // Other GET routes read no body: filters sent in one were dropped, and everything listed with a 200.
      for (const path of ['/api/events', '/api/key-management/keys']) {
        expect(await get(JSON.stringify({ customId: 'cid-1', tag: 't1' }), { path })).toEqual({
          status: 400,
          body: expect.objectContaining({ status: 400, detail: `GET ${path} reads no body: send its fields as query parameters` }),
        });
      }

      // A client that leaves mid-body is not a gateway fault: nothing in the error log.
      const errorsBefore = stack.logs.filter((line) => line.includes('"level":50')).length;
      await new Promise<void>((resolve) => {
        const request = http.request(`${stack.adminUrl}/api/v2/events`, { method: 'GET', headers: { 'x-api-key': stack.adminKey, 'content-type': 'application/json', 'content-length': 1_000 } });
        request.on('error', () => resolve());
        request.write('{"start":1');
        setTimeout(() => {
          request.destroy();
          resolve();
        }, 100);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      // The gateway answers its next request, and logged no error for the abandoned one.
      expect((await get(JSON.stringify({ start: t0, end: t0 + 60 }))).status).toBe(200);
      expect(stack.logs.filter((line) => line.includes('"level":50')).slice(errorsBefore)).toEqual([]);
    });

    it('refuses what it cannot honour: policy filters (events record no policy), unknown fields, a missing range', async () => {
      for (const body of [
        { start: t0, end: t0 + 60, policyIds: ['p1'] },
        { start: t0, end: t0 + 60, actions: ['blocked'] },
        { start: t0, end: t0 + 60, keyId: alpha },
        { start: t0 },
        // 0 is "not given" (the default page), as BricksLLM's Go clients send it; below it is not a page.
        { start: t0, end: t0 + 60, limit: -1 },
        { start: t0, end: t0 + 60, dateOrder: 'newest' },
      ]) {
        const response = await stack.admin<Problem>('POST', '/api/v2/events', body);
        expect([body, response.status]).toEqual([body, 400]);
      }
      expect((await stack.admin('POST', '/api/v2/events', { start: t0, end: t0 + 60, policyIds: [], actions: null })).status).toBe(200);
    });
  });

  describe('model prices', () => {
    it('DELETE needs both provider and model (400), and prices keep at most the 10 decimals stored', async () => {
      expect((await stack.admin('DELETE', '/api/model-prices')).status).toBe(400);
      expect((await stack.admin('DELETE', '/api/model-prices?provider=openai')).status).toBe(400);
      expect((await stack.admin('DELETE', '/api/model-prices?provider=openai&model=none')).status).toBe(404);
      const tiny = await stack.admin('PUT', '/api/model-prices', { provider: 'openai', model: 'tiny', inputUsdPerMillionTokens: 0.00000000004, outputUsdPerMillionTokens: 1 });
      expect(tiny.status).toBe(400);
      // A price with two decimals whose binary value is inexact is still one (64.04 was refused).
      const inexact = await stack.admin<{ inputUsdPerMillionTokens: number }>('PUT', '/api/model-prices', { provider: 'openai', model: 'inexact', inputUsdPerMillionTokens: 64.04, outputUsdPerMillionTokens: 1024.1 });
      expect([inexact.status, inexact.body.inputUsdPerMillionTokens]).toEqual([200, 64.04]);
    });

    it('refuses a price under a provider no event is named by ("OpenAI ", "custom"), naming the field', async () => {
      for (const provider of ['OpenAI ', 'openai ', 'Anthropic', 'custom', 'open ai']) {
        const refused = await stack.admin<{ detail: string }>('PUT', '/api/model-prices', { provider, model: 'gpt-x', inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 2 });
        expect([provider, refused.status, refused.body.detail]).toEqual([provider, 400, expect.stringContaining('provider')]);
      }
      expect((await stack.admin('PUT', '/api/model-prices', { provider: 'acme-llm', model: 'gpt-x', inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 2 })).status).toBe(200);
      expect((await stack.admin('DELETE', '/api/model-prices?provider=acme-llm&model=gpt-x')).status).toBe(204);
    });

    it('keeps the cache rates a price names; a PUT without them clears them', async () => {
      const rates = { provider: 'anthropic', model: 'contract-claude', inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15, cacheReadUsdPerMillionTokens: 0.3, cacheWriteUsdPerMillionTokens: 3.75 };
      const set = await stack.admin('PUT', '/api/model-prices', rates);
      expect(set).toMatchObject({ status: 200, body: rates });
      const listed = await stack.admin<Array<Record<string, unknown>>>('GET', '/api/model-prices');
      expect(listed.body.find((price) => price.model === 'contract-claude')).toMatchObject(rates);
      const plain = await stack.admin('PUT', '/api/model-prices', { provider: 'anthropic', model: 'contract-claude', inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15 });
      expect(plain.body).toMatchObject({ cacheReadUsdPerMillionTokens: null, cacheWriteUsdPerMillionTokens: null });
      expect((await stack.admin('PUT', '/api/model-prices', { ...rates, cacheReadUsdPerMillionTokens: -1 })).status).toBe(400);
    });
  });
});
