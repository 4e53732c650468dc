import pino from 'pino';
import { BatchingEventSink } from './batching-event-sink';
import { RequestEventData } from './request-event.job';

const event = (id: string) => ({ id }) as RequestEventData;
const silent = pino({ level: 'silent' });

describe('BatchingEventSink', () => {
  it('delivers in batches of at most maxBatch, in order', async () => {
    const batches: string[][] = [];
    const sink = new BatchingEventSink(async (events) => void batches.push(events.map((e) => e.id)), { maxBatch: 2, flushIntervalMs: 5, maxBuffered: 100 }, silent);
    ['a', 'b', 'c'].forEach((id) => sink.publish(event(id)));
    await sink.flush();
    expect(batches.flat()).toEqual(['a', 'b', 'c']);
    expect(batches.every((batch) => batch.length <= 2)).toBe(true);
  });

  it('keeps events when delivery fails and delivers them once it works again', async () => {
    let failing = true;
    const delivered: string[] = [];
    const sink = new BatchingEventSink(
      async (events) => {
        if (failing) throw new Error('redis refused');
        delivered.push(...events.map((e) => e.id));
      },
      { maxBatch: 10, flushIntervalMs: 1, maxBuffered: 100 },
      silent,
    );
    sink.publish(event('x'));
    sink.publish(event('y'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(delivered).toEqual([]);
    expect(sink.stats().pending).toBe(2);
    failing = false;
    // The retry timer (backoff) delivers them without anyone calling flush.
    for (let i = 0; i < 100 && delivered.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(delivered).toEqual(['x', 'y']);
    expect(sink.stats().pending).toBe(0);
    const { deliveryFailures } = sink.stats();
    expect(deliveryFailures).toBeGreaterThanOrEqual(1);
    expect(sink.stats()).toEqual({ pending: 0, dropped: 0, deliveryFailures });
  });

  it('flush retries a failing delivery within its time and gives up after it, keeping the events', async () => {
    let failuresLeft = 2;
    const delivered: string[] = [];
    const sink = new BatchingEventSink(
      async (events) => {
        if (failuresLeft-- > 0) throw new Error('redis failing over');
        delivered.push(...events.map((e) => e.id));
      },
      { maxBatch: 10, flushIntervalMs: 60_000, maxBuffered: 100 },
      silent,
    );
    sink.publish(event('last-1'));
    // Two failures, then success: backoff is 200 ms, then 400 ms.
    await sink.flush(5_000);
    expect(delivered).toEqual(['last-1']);

    const down = new BatchingEventSink(async () => Promise.reject(new Error('redis gone')), { maxBatch: 10, flushIntervalMs: 60_000, maxBuffered: 100 }, silent);
    down.publish(event('stuck-1'));
    const started = Date.now();
    await expect(down.flush(300)).rejects.toThrow('1 events are still buffered');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(down.stats().pending).toBe(1);
    await expect(down.flush()).rejects.toThrow('still buffered');
  });

  it('flush gives up on a delivery that hangs (Redis commands queued offline) once its time is up', async () => {
    const sink = new BatchingEventSink(() => new Promise<void>(() => undefined), { maxBatch: 10, flushIntervalMs: 60_000, maxBuffered: 100 }, silent);
    sink.publish(event('waiting-1'));
    sink.publish(event('waiting-2'));
    const started = Date.now();
    await expect(sink.flush(200)).rejects.toThrow('2 events are still buffered');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('counts a batch whose delivery hangs as pending', async () => {
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const sink = new BatchingEventSink(() => hung, { maxBatch: 2, flushIntervalMs: 1, maxBuffered: 100 }, silent);
    ['a', 'b', 'c'].forEach((id) => sink.publish(event(id)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // One batch of two is out for delivery, one event is still buffered: all three are pending.
    expect(sink.stats().pending).toBe(3);
    release();
    await sink.flush();
    expect(sink.stats().pending).toBe(0);
  });

  it('names the events it has not delivered, the one being delivered included', async () => {
    const sink = new BatchingEventSink(() => new Promise<void>(() => undefined), { maxBatch: 2, flushIntervalMs: 60_000, maxBuffered: 100 }, silent);
    ['a', 'b', 'c'].forEach((id) => sink.publish(event(id)));
    await expect(sink.flush(100)).rejects.toThrow('3 events are still buffered');
    expect(sink.undelivered().map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });

  it('counts the events it had to drop when the buffer overflows', async () => {
    const sink = new BatchingEventSink(
      async () => {
        throw new Error('redis refused');
      },
      { maxBatch: 10, flushIntervalMs: 60_000, maxBuffered: 3 },
      silent,
    );
    ['a', 'b', 'c', 'd', 'e'].forEach((id) => sink.publish(event(id)));
    expect(sink.stats()).toEqual({ pending: 3, dropped: 2, deliveryFailures: 0 });
    await expect(sink.flush()).rejects.toThrow('events are still buffered');
    expect(sink.stats()).toEqual({ pending: 3, dropped: 2, deliveryFailures: 1 });
  });

  it('bounds what it holds by size too, dropping the oldest and counting them', async () => {
    const withBody = (id: string, chars: number) => ({ id, request: 'x'.repeat(chars), response: null, estimationInput: null }) as unknown as RequestEventData;
    const sink = new BatchingEventSink(async () => Promise.reject(new Error('redis refused')), { maxBatch: 10, flushIntervalMs: 60_000, maxBuffered: 100, maxBufferedBytes: 20_480 }, silent);
    // 5,024 bytes each (a kilobyte besides the body): four fit in 20 KiB, a fifth drops the oldest.
    ['a', 'b', 'c', 'd', 'e'].forEach((id) => sink.publish(withBody(id, 4_000)));
    expect(sink.stats()).toEqual({ pending: 4, dropped: 1, deliveryFailures: 0 });
    // One larger than the whole bound is kept, alone.
    sink.publish(withBody('huge', 50_000));
    expect(sink.stats()).toEqual({ pending: 1, dropped: 5, deliveryFailures: 0 });
    // What a failed delivery gives back counts again: the bound still holds after it.
    await expect(sink.flush()).rejects.toThrow('1 events are still buffered');
    ['f', 'g', 'h', 'i'].forEach((id) => sink.publish(withBody(id, 4_000)));
    expect(sink.stats()).toEqual({ pending: 4, dropped: 6, deliveryFailures: 1 });
  });

  it('logs an overflow once per interval, not once per dropped event, with how many it stands for', () => {
    const lines: Array<{ msg: string; occurrences: number; droppedSoFar: number }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
    const sink = new BatchingEventSink(async () => new Promise<void>(() => undefined), { maxBatch: 10, flushIntervalMs: 60_000, maxBuffered: 100 }, logger);
    for (let i = 0; i < 1_000; i++) sink.publish(event(`e${i}`));
    expect(sink.stats().dropped).toBe(900);
    const overflows = lines.filter((line) => line.msg.startsWith('event buffer full'));
    expect(overflows).toEqual([expect.objectContaining({ occurrences: 1, droppedSoFar: 1 })]);
  });
});
