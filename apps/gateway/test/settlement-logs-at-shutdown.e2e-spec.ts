import { EventSettlementService } from '@tollgate/limits';
import { requestEvent } from './support/request-event';
import { TestStack, startTestStack } from './support/test-stack';

/**
 * The request ids of events Postgres refused are logged once per interval; those the last
 * interval held back are logged when the worker stops, not lost with its timer.
 */
describe('settlement logs at shutdown (e2e, real Postgres and Redis)', () => {
  let stack: TestStack | null = null;

  beforeAll(async () => {
    stack = await startTestStack({ LOG_LEVEL: 'warn' });
  }, 60_000);

  afterAll(async () => stack?.close());

  it('logs the degraded events the interval held back when the worker shuts down', async () => {
    const running = stack!;
    const settlement = running.workerApp.get(EventSettlementService, { strict: false });
    const degradedLines = () => running.logs.filter((line) => line.includes('recorded without the fields'));
    // A user id with NUL: Postgres refuses it, the event is recorded without it and named in the log.
    const first = requestEvent({ userId: 'first\u0000' });
    const held = requestEvent({ userId: 'held\u0000' });
    expect(await settlement.record([first])).toHaveLength(1);
    expect(await settlement.record([held])).toHaveLength(1);
    // The first is logged at once; the second waits for the interval's end (10 s).
    expect(degradedLines()).toHaveLength(1);
    expect(degradedLines()[0]).toContain(first.id);
    expect(degradedLines()[0]).not.toContain(held.id);

    stack = null;
    await running.close();

    const lines = degradedLines();
    expect(lines).toHaveLength(2);
    const { events, occurrences } = JSON.parse(lines[1]) as { events: Array<{ requestId: string }>; occurrences: number };
    expect(events.map((event) => event.requestId)).toEqual([held.id]);
    expect(occurrences).toBe(1);
  }, 30_000);
});
