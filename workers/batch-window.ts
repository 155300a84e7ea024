import type { TakenJob } from './job-batches';

/** Where a batch's jobs come from (shard-jobs.ts; a fake in tests). */
export interface JobSource {
  /** waits a while for the next job; null when none came */
  next(): Promise<TakenJob | null>;
  /** takes up to `max` waiting jobs without waiting */
  take(max: number): Promise<TakenJob[]>;
}

export interface BatchWindowOptions {
  source: JobSource;
  /** FLUSH_MAX_JOBS */
  maxJobs: number;
  /** FLUSH_INTERVAL_MS: how long after its first job a batch may wait for more */
  intervalMs: number;
  /** the consumer's pause (cut short by its abort) */
  sleep: (ms: number) => Promise<void>;
  /** true once the consumer stops: the window closes at once */
  stopping: () => boolean;
}

/**
 * Fills one batch: blocks while idle, then takes what is waiting until the batch is full or
 * the window (FLUSH_INTERVAL_MS from the first job) closes.
 */
export class BatchWindow {
  /** size of the last batch filled: a big one means a backlog is being drained */
  private lastBatch = 0;

  constructor(private readonly opts: BatchWindowOptions) {}

  async fill(): Promise<TakenJob[]> {
    const { source, maxJobs, intervalMs } = this.opts;
    // a backlog needs no blocking wait: the first take finds it
    const batch = this.lastBatch > 0 ? await source.take(maxJobs) : [];
    if (batch.length === 0) {
      const first = await source.next();
      if (!first) return this.filled(batch);
      batch.push(first);
    }
    const deadline = Date.now() + intervalMs;
    while (batch.length < maxJobs && !this.opts.stopping() && Date.now() < deadline) {
      const found = await source.take(maxJobs - batch.length);
      batch.push(...found);
      if (found.length === 0) {
        // the queue ran dry: a batch at least half full, or the rest of a backlog (the last
        // batch was that big), is flushed now — waiting would only delay it; a small batch of
        // light traffic waits for more, within the window
        if (batch.length >= maxJobs / 2 || this.lastBatch >= maxJobs / 2) break;
        await this.opts.sleep(Math.min(deadline - Date.now(), 50));
      }
    }
    return this.filled(batch);
  }

  private filled(batch: TakenJob[]): TakenJob[] {
    this.lastBatch = batch.length;
    return batch;
  }
}
