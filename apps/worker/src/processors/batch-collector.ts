/**
 * Gathers items handed over one at a time (one per BullMQ job) into batches, so the worker
 * writes many events per transaction while each job still learns its own outcome.
 */
export class BatchCollector<T> {
  private pending: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly flushBatch: (items: T[]) => Promise<void>,
    private readonly maxBatch: number,
    private readonly maxWaitMs: number,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.flushBatch(batch.map((entry) => entry.item)).then(
      () => batch.forEach((entry) => entry.resolve()),
      (error: unknown) => {
        if (batch.length === 1) return batch[0].reject(error);
        // One bad item must not sink the others: retry them one by one, each with its own outcome.
        for (const entry of batch) this.flushBatch([entry.item]).then(entry.resolve, entry.reject);
      },
    );
  }
}
