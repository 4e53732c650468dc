import { ConfigEntity, createLogger } from '@tollgate/common';
import { LocalConfigChangeBus } from './config-change-bus';
import { ConfigSync } from './config-sync';

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Waits until `done()` holds (or 5 s pass, far less than the 60 s periods below): a fixed sleep
 * fails on a loaded machine, where a timer may fire tens of milliseconds late.
 */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('ConfigSync', () => {
  let bus: LocalConfigChangeBus;
  let sync: ConfigSync | null = null;
  const logLines: string[] = [];
  const logger = createLogger('info', 'config-sync-spec', { write: (line: string) => void logLines.push(line) });

  beforeEach(() => {
    bus = new LocalConfigChangeBus();
    logLines.length = 0;
  });
  afterEach(() => sync?.stop());

  it('loads everything at start, then reloads only the announcements of its own entities', async () => {
    const reloaded: string[] = [];
    let fullLoads = 0;
    sync = new ConfigSync(bus, {
      entities: [ConfigEntity.Key],
      reloadOne: async (change) => void reloaded.push(change.id),
      reloadAll: async () => void fullLoads++,
      intervalMs: 60_000,
      logger,
      failureMessage: 'reload failed',
    });
    await sync.start();
    expect(fullLoads).toBe(1);
    await bus.publish({ entity: ConfigEntity.Key, id: 'k1' });
    await bus.publish({ entity: ConfigEntity.ModelPrice, id: 'openai\u0000gpt' });
    await settle();
    expect(reloaded).toEqual(['k1']);
  });

  it('applies reloads in arrival order, so a slow older read never lands after a newer one', async () => {
    const applied: string[] = [];
    sync = new ConfigSync(bus, {
      entities: [ConfigEntity.Key],
      reloadOne: async (change) => {
        // The first read is the slowest: run concurrently, it would be applied last.
        await new Promise((resolve) => setTimeout(resolve, change.id === 'first' ? 30 : 1));
        applied.push(change.id);
      },
      reloadAll: async () => undefined,
      intervalMs: 60_000,
      logger,
      failureMessage: 'reload failed',
    });
    await sync.start();
    await bus.publish({ entity: ConfigEntity.Key, id: 'first' });
    await bus.publish({ entity: ConfigEntity.Key, id: 'second' });
    await until(() => applied.length === 2);
    expect(applied).toEqual(['first', 'second']);
  });

  it('warns of a failed reload once per outage, counting the failures, and keeps going: the next reload runs', async () => {
    let attempts = 0;
    sync = new ConfigSync(bus, {
      entities: [ConfigEntity.User],
      reloadOne: async () => undefined,
      reloadAll: async () => {
        attempts++;
        if (attempts <= 3) throw new Error('database away');
      },
      intervalMs: 30,
      logger,
      failureMessage: 'users reload failed',
    });
    await sync.start();
    await until(() => attempts >= 4);
    expect(attempts).toBeGreaterThanOrEqual(4);
    const lines = logLines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } });
    // Three failures, one line: a warning (the last good state kept serving), not an error.
    expect(lines.filter((line) => line.msg === 'users reload failed')).toEqual([expect.objectContaining({ level: 40, err: expect.objectContaining({ message: 'database away' }) })]);
  });

  it('repairs a failed reload of one announcement (a revocation) with a full reload soon after, not a period later', async () => {
    let failNext = false;
    let fullLoads = 0;
    sync = new ConfigSync(bus, {
      entities: [ConfigEntity.Key],
      reloadOne: async () => {
        if (failNext) throw new Error('postgres blip');
      },
      reloadAll: async () => void fullLoads++,
      intervalMs: 60_000,
      retryMs: 50,
      logger,
      failureMessage: 'reload failed',
    });
    await sync.start();
    failNext = true;
    await bus.publish({ entity: ConfigEntity.Key, id: 'revoked-key' });
    await until(() => fullLoads >= 2);
    expect(fullLoads).toBe(2);
    expect(logLines.some((line) => line.includes('reload failed'))).toBe(true);
  });

  it('coalesces full reloads waiting their turn: slow loads do not pile up', async () => {
    let fullLoads = 0;
    let release: () => void = () => undefined;
    sync = new ConfigSync(bus, {
      entities: [ConfigEntity.Key],
      reloadOne: () => new Promise<void>((resolve) => (release = resolve)),
      reloadAll: async () => void fullLoads++,
      intervalMs: 60_000,
      logger,
      failureMessage: 'reload failed',
    });
    await sync.start();
    await bus.publish({ entity: ConfigEntity.Key, id: 'slow' });
    await settle();
    // Behind the slow reload: many requests for a full reload become one.
    const waits = Array.from({ length: 5 }, () => sync!.resync());
    release();
    await Promise.all(waits);
    expect(fullLoads).toBe(2);
  });
});
