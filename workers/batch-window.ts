import type { TakenJob } from './job-batches';

/** Where a batch's jobs come from (shard-jobs.ts; a fake in tests). */
export interface JobSource {
  /** waits a while for the next job; null when none came */
  next(): Promise<TakenJob | null>;
  /** takes up to `max` waiting jobs without waiting (`backlog`: the last take came back full) */
  take(max: number, backlog?: boolean): Promise<TakenJob[]>;
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

/** Between takes of light traffic: what arrives meanwhile comes in one take. */
const TAKE_PAUSE_MS = 50;

/**
 * Fills one batch: blocks while idle, then takes what is waiting until the batch is full or
 * the window (FLUSH_INTERVAL_MS from the first job) closes.
 *
 * A backlog met after an idle wait starts with a batch of a quarter of FLUSH_MAX_JOBS, and each
 * next batch is twice the last until full: every shard meets the backlog at once and Redis
 * answers all their takes together, so with full batches at once the worker would idle until
 * every shard's were taken; this way each commit runs while Redis takes the next, larger batch.
 */
export class BatchWindow {
  private wasBacklog = false;
  /** the most the last batch could hold */
  private lastCap = 0;

  constructor(private readonly opts: BatchWindowOptions) {}

  /** the last batch came full: more is waiting (the consumer takes it while that one commits) */
  get backlog(): boolean {
    return this.wasBacklog;
  }

  async fill(): Promise<TakenJob[]> {
    const { source, maxJobs, intervalMs } = this.opts;
    let cap = Math.min(maxJobs, this.lastCap * 2);
    // a backlog needs no blocking wait: the first take finds it
    const batch = this.wasBacklog ? await source.take(cap, true) : [];
    if (batch.length === 0) {
      const first = await source.next();
      if (!first) return this.filled(batch, false, cap);
      batch.push(first);
      cap = Math.max(1, Math.floor(maxJobs / 4));
    } else if (batch.length < cap) {
      // the backlog's take found the queue dry: that batch goes as it is
      return this.filled(batch, false, cap);
    }
    // on the monotonic clock: a wall clock stepped back must not hold a batch open
    const deadline = performance.now() + intervalMs;
    while (batch.length < cap && !this.opts.stopping() && performance.now() < deadline) {
      const wanted = cap - batch.length;
      const found = await source.take(wanted);
      batch.push(...found);
      if (found.length < wanted) {
        // the queue ran dry: the rest of a backlog is flushed now (waiting would only delay
        // it); a batch of light traffic waits for more, within the window, before taking again
        // (taking at once found a job or two per script call: a third of Redis's calls per event)
        if (this.wasBacklog) break;
        await this.opts.sleep(Math.min(deadline - performance.now(), TAKE_PAUSE_MS));
      }
    }
    return this.filled(batch, batch.length >= cap, cap);
  }

  private filled(batch: TakenJob[], full: boolean, cap: number): TakenJob[] {
    this.wasBacklog = full;
    this.lastCap = cap;
    return batch;
  }
}
