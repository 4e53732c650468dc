import { ConcurrencyLimit } from './concurrency-limit';

describe('ConcurrencyLimit', () => {
  it('runs at most max tasks at once, the waiting ones in order, and refuses beyond the queue', async () => {
    const limit = new ConcurrencyLimit(2, 2, () => new Error('busy'));
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const task = (id: number) =>
      limit.run(async () => {
        running += 1;
        most = Math.max(most, running);
        order.push(id);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        return id;
      });
    const started = [1, 2, 3, 4].map(task);
    await expect(task(5)).rejects.toThrow('busy');
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([1, 2]);
    while (releases.length > 0 || order.length < 4) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(started)).toEqual([1, 2, 3, 4]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(most).toBe(2);
    // Free again: a new task runs at once.
    expect(await limit.run(async () => 'again')).toBe('again');
  });

  it('frees the slot when a task fails', async () => {
    const limit = new ConcurrencyLimit(1, 0, () => new Error('busy'));
    await expect(limit.run(async () => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(await limit.run(async () => 'next')).toBe('next');
  });
});
