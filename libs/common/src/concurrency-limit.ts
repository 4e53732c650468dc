/**
 * Runs at most `max` tasks at once; up to `maxWaiting` more wait their turn (first come, first
 * served), and any beyond are refused at once with `refuse()`'s error.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxWaiting: number,
    private readonly refuse: () => Error,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.max) {
      this.running += 1;
    } else {
      if (this.waiting.length >= this.maxWaiting) throw this.refuse();
      // The slot is handed over by the task that ends (running stays counted).
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
