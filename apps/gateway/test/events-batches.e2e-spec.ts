import { randomBytes } from 'node:crypto';
import { EventSettlementService } from '@tollgate/limits';
import { BatchingEventSink, RequestEventData } from '@tollgate/queue';
import pino from 'pino';
import { requestEvent } from './support/request-event';
import { TestStack, eventually, startTestStack } from './support/test-stack';

const event = (customId: string | null = null): RequestEventData => requestEvent({ customId });

/**
 * Batches as large as EVENT_BATCH_SIZE allows (10,000), recorded by the real settlement code
 * into Postgres: by the worker, and by a standalone gateway's own sink.
 */
describe('event batches (e2e, real Postgres and Redis)', () => {
  let stack: TestStack;
  let settlement: EventSettlementService;
  const recordedCount = async (ids: string[]) => (await stack.sql<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id = ANY($1::text[])', [ids]))[0].n;

  beforeAll(async () => {
    stack = await startTestStack({ LOG_LEVEL: 'error', EVENT_BATCH_SIZE: '10000' });
    settlement = stack.workerApp.get(EventSettlementService, { strict: false });
  }, 60_000);

  afterAll(async () => stack?.close());

  it('records a batch of more events than one INSERT can bind parameters for', async () => {
    // 22 parameters a row: one statement holds at most 2,978 rows.
    const events = Array.from({ length: 3_000 }, () => event());
    const recorded = await settlement.record(events);
    expect(recorded).toHaveLength(3_000);
    expect(await recordedCount(events.map((e) => e.id))).toBe(3_000);
  }, 30_000);

  it('lets the process serve between the events of a batch whose tokens it counts', async () => {
    // Events without usage (a stream the client left, a custom provider) carry up to 250,000
    // characters of prompt to count; text that is not prose takes the tokenizer about half a
    // second. Counted in one go, a batch of them held the event loop for minutes: probes timed
    // out and BullMQ could not renew the jobs' locks, so the batch was processed again.
    const events = Array.from({ length: 8 }, () => requestEvent({ usage: null, estimationInput: { prompt: randomBytes(187_500).toString('base64'), completion: '' } }));
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 10);
    const started = performance.now();
    try {
      expect(await settlement.record(events)).toHaveLength(8);
    } finally {
      clearInterval(ticker);
    }
    const took = performance.now() - started;
    // Relative to the whole, so a slow machine counts the same: counted in one go, the gap is all
    // of it; between events, about one event's share (an eighth). Half leaves room for a loaded
    // machine's pauses.
    expect(longestGap).toBeLessThan(took / 2);
  }, 60_000);

  it("a standalone gateway's sink records the events behind one that Postgres refuses, and that one once it can", async () => {
    await stack.sql("CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.custom_id = 'refused' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$");
    await stack.sql('CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_event()');
    // Wired as InfrastructureModule wires it without Redis: the sink hands batches to settlement.
    const sink = new BatchingEventSink(async (events) => void (await settlement.record(events)), { maxBatch: 10_000, flushIntervalMs: 10, maxBuffered: 100_000 }, pino({ level: 'silent' }));
    const refused = event('refused');
    const before = Array.from({ length: 20 }, () => event());
    const after = Array.from({ length: 20 }, () => event());
    [...before, refused, ...after].forEach((e) => sink.publish(e));
    await eventually(async () => ((await recordedCount([...before, ...after].map((e) => e.id))) === 40 ? true : undefined), 10_000, 'the others recorded');
    // Published later, while the refused one waits for its retry: not held up by it either.
    const later = event();
    sink.publish(later);
    await eventually(async () => ((await recordedCount([later.id])) === 1 ? true : undefined), 10_000, 'a later event recorded');
    expect(await recordedCount([refused.id])).toBe(0);
    expect(sink.stats().pending).toBe(1);

    await stack.sql('DROP TRIGGER refuse_events ON events');
    await sink.flush(10_000);
    expect(await recordedCount([refused.id])).toBe(1);
    expect(sink.stats()).toMatchObject({ pending: 0, dropped: 0 });
  }, 40_000);
});
