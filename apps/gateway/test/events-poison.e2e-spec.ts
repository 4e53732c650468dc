import { RequestEventData, bullmqEventDelivery } from '@tollgate/queue';
import { Queue } from 'bullmq';
import { FakeOpenAI } from './support/fake-openai';
import { chat, issueKey } from './support/proxy-client';
import { requestEvent } from './support/request-event';
import { TestStack, eventually, startTestStack } from './support/test-stack';

interface EventRow {
  id: string;
  cost_in_usd: string | null;
  price_known: boolean;
  model: string;
  tags: string[];
  custom_id: string | null;
  user_id: string | null;
  request: string | null;
  response: string | null;
  degraded_fields: string[] | null;
}

/**
 * Events Postgres refuses for what they hold (SQLSTATE class 22 or 23), through the real queue
 * and the real worker: recorded degraded, their cost counted once, rather than retried for a
 * week and lost; retried as before only when even their minimal form is refused, and then counted
 * and named in the log. Retries are 50 ms apart here (EVENT_RETRY_MAX_DELAY_MS).
 */
describe('events Postgres refuses (e2e, real worker and queue)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  let queue: Queue;
  let settingId: string;

  const rows = (ids: string[]) => stack.sql<EventRow>('SELECT id, cost_in_usd, price_known, model, tags, custom_id, user_id, request, response, degraded_fields FROM events WHERE id = ANY($1::text[])', [ids]);
  const recorded = async (ids: string[]) => {
    const found = await rows(ids);
    return found.length === ids.length ? new Map(found.map((row) => [row.id, row])) : undefined;
  };
  const keySpend = async (keyId: string) => Number((await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]))[0].spent_usd);
  const costOf = async (keyId: string) => Number((await stack.sql<{ cost: string }>('SELECT coalesce(sum(cost_in_usd), 0) AS cost FROM events WHERE key_id = $1', [keyId]))[0].cost);
  const metric = async (name: string) => {
    const line = (await (await fetch(stack.workerMetricsUrl)).text()).split('\n').find((text) => text.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  };
  /** Enqueued as a gateway enqueues its events: one addBulk, job id = request id, the same options. */
  const enqueue = (events: RequestEventData[]) => bullmqEventDelivery(queue)(events);

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    stack = await startTestStack({ EVENT_RETRY_MAX_DELAY_MS: '50', LOG_LEVEL: 'warn' });
    queue = stack.eventsQueue();
    const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
    settingId = setting.body.id;
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await upstream?.stop();
  });

  it('records an event with text Postgres cannot store without that text, among the others of its batch, its cost counted once', async () => {
    const { keyId } = await issueKey(stack.admin, [stack.proxyUrl], 'nul', [settingId]);
    const probes = await costOf(keyId);
    const event = (fields: Partial<RequestEventData> = {}) => requestEvent({ keyId, settingId, tags: ['team-a'], request: '{"messages":"my password is hunter2-do-not-log"}', ...fields });
    // A user id with NUL: what gateways enqueued before client text lost its control characters.
    const nulUser = event({ userId: 'bob\u0000', customId: 'order-1' });
    const nulElsewhere = event({ customId: 'order\u00002', tags: ['team-a', 'team\u0000b'], response: 'data: {"a":1}\u0000\n\n' });
    const others = Array.from({ length: 4 }, () => event());
    await enqueue([others[0], nulUser, others[1], others[2], nulElsewhere, others[3]]);

    const all = [nulUser, nulElsewhere, ...others];
    const found = await eventually(() => recorded(all.map((e) => e.id)), 10_000, 'every event recorded');
    // Recorded without the parts Postgres refused, and with all the rest.
    expect(found.get(nulUser.id)).toMatchObject({ user_id: null, custom_id: 'order-1', tags: ['team-a'], model: 'gpt-4o-mini', request: nulUser.request, degraded_fields: ['user_id'] });
    expect(found.get(nulElsewhere.id)).toMatchObject({ custom_id: null, tags: ['team-a'], response: 'data: {"a":1}\n\n', request: nulElsewhere.request, degraded_fields: ['tags', 'custom_id', 'response'] });
    for (const other of others) expect(found.get(other.id)).toMatchObject({ custom_id: null, user_id: null, degraded_fields: null });
    // Priced as they came, like the others (10 prompt and 5 completion tokens of gpt-4o-mini).
    const cost = Number(found.get(others[0].id)!.cost_in_usd);
    expect(cost).toBeGreaterThan(0);
    for (const id of [nulUser.id, nulElsewhere.id]) expect(found.get(id)).toMatchObject({ price_known: true, cost_in_usd: found.get(others[0].id)!.cost_in_usd });
    // The key's spend has all six, once.
    expect(await keySpend(keyId)).toBeCloseTo(probes + 6 * cost, 9);

    // The admin API says which fields an event lost, and says nothing of the others.
    const degraded = await stack.admin<Record<string, unknown>>('GET', `/api/events/${nulUser.id}`);
    expect(degraded.body).toMatchObject({ id: nulUser.id, user_id: null, custom_id: 'order-1', degraded_fields: ['user_id'] });
    const whole = await stack.admin<Record<string, unknown>>('GET', `/api/events/${others[0].id}`);
    expect(whole.body).not.toHaveProperty('degraded_fields');

    expect(await metric('tollgate_worker_events_degraded_total')).toBe(2);
    // One line per 10 s: the first names whichever came first, the other waits for the next.
    const logged = await eventually(async () => stack.logs.find((line) => line.includes('recorded without the fields')), 5_000, 'the degraded events logged');
    const { level, events } = JSON.parse(logged!) as { level: number; events: unknown[] };
    expect(level).toBe(40);
    const refusal = { code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' };
    expect([
      [{ requestId: nulUser.id, degradedFields: ['user_id'], refusal }],
      [{ requestId: nulElsewhere.id, degradedFields: ['tags', 'custom_id', 'response'], refusal }],
    ]).toContainEqual(events);
    expect(stack.logs.join('\n')).not.toContain('hunter2-do-not-log');

    // Delivered again (a worker that crashed after committing): recorded once, counted once.
    const again = `${nulUser.id}-again`;
    await queue.add('record-request-event', nulUser, { jobId: again });
    await eventually(async () => ((await queue.getJob(again))?.finishedOn ? true : undefined), 10_000, 'the redelivered job consumed');
    expect(await keySpend(keyId)).toBeCloseTo(probes + 6 * cost, 9);
  }, 30_000);

  it('records an event refused for a reason naming no part (an operator\'s CHECK) in its minimal form, its cost counted', async () => {
    const { keyId } = await issueKey(stack.admin, [stack.proxyUrl], 'check', [settingId]);
    const probes = await costOf(keyId);
    await stack.sql("ALTER TABLE events ADD CONSTRAINT events_custom_id_check CHECK (custom_id IS NULL OR custom_id NOT LIKE 'forbidden%') NOT VALID");
    try {
      const refused = requestEvent({ keyId, settingId, tags: ['team-a'], customId: 'forbidden-1', userId: 'alice', request: '{"a":1}', response: '{"b":2}' });
      const fine = requestEvent({ keyId, settingId, customId: 'allowed-1' });
      await enqueue([refused, fine]);
      const found = await eventually(() => recorded([refused.id, fine.id]), 10_000, 'both recorded');
      expect(found.get(refused.id)).toMatchObject({
        tags: [],
        model: '',
        custom_id: null,
        user_id: null,
        request: null,
        response: null,
        price_known: true,
        cost_in_usd: found.get(fine.id)!.cost_in_usd,
        degraded_fields: ['tags', 'model', 'custom_id', 'user_id', 'request', 'response'],
      });
      expect(found.get(fine.id)).toMatchObject({ custom_id: 'allowed-1', degraded_fields: null });
      expect(await keySpend(keyId)).toBeCloseTo(probes + 2 * Number(found.get(fine.id)!.cost_in_usd), 9);
    } finally {
      await stack.sql('ALTER TABLE events DROP CONSTRAINT events_custom_id_check');
    }
  }, 30_000);

  it('records in its minimal form an event whose form without NULs is refused, when the minimal form drops as many fields but more of them', async () => {
    const { keyId } = await issueKey(stack.admin, [stack.proxyUrl], 'same-fields', [settingId]);
    const probes = await costOf(keyId);
    await stack.sql("ALTER TABLE events ADD CONSTRAINT events_tags_check CHECK (NOT ('blocked' = ANY(tags))) NOT VALID");
    try {
      // Without its NULs it keeps a tag and a model (both named, as cut); the minimal form drops
      // them (the same two fields named), and only that one Postgres takes.
      const event = requestEvent({ keyId, settingId, tags: ['blocked', 'team\u0000b'], model: 'gpt-4o-mini\u0000', requestedModel: 'gpt-4o-mini' });
      const fine = requestEvent({ keyId, settingId });
      await enqueue([event, fine]);
      const found = await eventually(() => recorded([event.id, fine.id]), 10_000, 'both recorded');
      expect(found.get(event.id)).toMatchObject({ tags: [], model: '', price_known: true, cost_in_usd: found.get(fine.id)!.cost_in_usd, degraded_fields: ['tags', 'model'] });
      expect(await keySpend(keyId)).toBeCloseTo(probes + 2 * Number(found.get(fine.id)!.cost_in_usd), 9);
    } finally {
      await stack.sql('ALTER TABLE events DROP CONSTRAINT events_tags_check');
    }
  }, 30_000);

  it("retries, counts and names an event refused even in its minimal form (via the gateway: a key's spend past what Postgres holds), never logging its bodies", async () => {
    // $1 a token (the most an admin's price may be) and the most tokens an event holds: an event
    // costs $4,294,967,294, which its own row holds; the third takes the key's spent_usd
    // (numeric(20, 10): under $10 billion) past what it holds.
    expect((await stack.admin('PUT', '/api/model-prices', { provider: 'openai', model: 'huge-usage', inputUsdPerMillionTokens: 1_000_000, outputUsdPerMillionTokens: 1_000_000 })).status).toBe(200);
    const { key, keyId } = await issueKey(stack.admin, [stack.proxyUrl], 'huge', [settingId], { shouldLogRequest: true });
    const eventCost = 4_294_967_294;
    const request = async (content: string) => {
      const response = await chat(stack.proxyUrl, key, { model: 'huge-usage', messages: [{ role: 'user', content }] });
      expect(response.status).toBe(200);
      return response.headers['x-request-id'];
    };
    const first = [await request('one'), await request('two')];
    await eventually(() => recorded(first), 10_000, 'the first two recorded');
    const before = await keySpend(keyId);
    expect(before).toBeGreaterThanOrEqual(2 * eventCost);

    const refusedId = await request('my password is hunter2-do-not-log');
    const attempts = async () => (await queue.getJob(refusedId))?.attemptsMade ?? 0;
    await eventually(async () => ((await attempts()) >= 5 ? true : undefined), 15_000, 'five failed attempts');
    expect(await rows([refusedId])).toEqual([]);
    expect(await keySpend(keyId)).toBe(before);
    await eventually(async () => (((await metric('tollgate_worker_event_unrecordable_attempts_total')) ?? 0) >= 3 ? true : undefined), 5_000, 'the attempts counted');
    const logged = await eventually(async () => stack.logs.find((line) => line.includes('even in their minimal form') && line.includes(refusedId)), 15_000, 'the refused event named');
    expect(JSON.parse(logged!)).toMatchObject({ level: 50, events: [{ requestId: refusedId, refusal: { code: '22003', message: 'numeric field overflow' } }] });
    expect(stack.logs.join('\n')).not.toContain('hunter2-do-not-log');

    // It holds up no other event meanwhile.
    const other = requestEvent();
    await enqueue([other]);
    await eventually(() => recorded([other.id]), 10_000, 'another event recorded');

    // Once the key's spend can take it (an operator resets it), it is recorded whole, counted once.
    // Reset between attempts (the queue paused, the job not running): reset during an attempt, its
    // minimal form, tried after the whole event was refused, would be taken instead.
    await queue.pause();
    try {
      await eventually(async () => ((await (await queue.getJob(refusedId))?.getState()) !== 'active' ? true : undefined), 10_000, 'no attempt running');
      await stack.sql('UPDATE api_keys SET spent_usd = 0 WHERE key_id = $1', [keyId]);
    } finally {
      await queue.resume();
    }
    const found = await eventually(() => recorded([refusedId]), 10_000, 'the refused event recorded');
    expect(found.get(refusedId)).toMatchObject({ degraded_fields: null });
    expect(Number(found.get(refusedId)!.cost_in_usd)).toBe(eventCost);
    expect(await keySpend(keyId)).toBe(eventCost);
  }, 60_000);

  it.each([
    ['serialization_failure', '40001'],
    ['query_canceled', '57014'],
  ])('keeps retrying an event that failed for a transient reason (%s), and records it whole', async (condition, code) => {
    const customId = `transient-${code}`;
    await stack.sql(`CREATE OR REPLACE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.custom_id = '${customId}' THEN RAISE EXCEPTION 'transient, says the test' USING ERRCODE = '${condition}'; END IF; RETURN NEW; END $$`);
    await stack.sql('CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_event()');
    const event = requestEvent({ customId, userId: 'carol', request: '{"a":1}' });
    try {
      await enqueue([event]);
      await eventually(async () => (((await queue.getJob(event.id))?.attemptsMade ?? 0) >= 5 ? true : undefined), 15_000, 'five failed attempts');
      expect(await rows([event.id])).toEqual([]);
    } finally {
      await stack.sql('DROP TRIGGER refuse_events ON events');
    }
    const found = await eventually(() => recorded([event.id]), 10_000, 'the event recorded');
    expect(found.get(event.id)).toMatchObject({ custom_id: customId, user_id: 'carol', request: '{"a":1}', degraded_fields: null });
  }, 30_000);
});
