import { decodeJob } from '../src/queue/event-codec';
import type { StatsEvent } from '../src/stats/types';
import type { StatsStore } from '../src/store/types';
import { withTimeout } from '../src/util/with-timeout';
import type { ConsumerEmitter } from './consumer-events';
import { jobDataOf, type TakenJob } from './job-batches';
import { backoffMs } from './pause';

/** An event that does not decode, with its job and its place in the job. */
export interface InvalidEvent {
  job: TakenJob;
  index: number;
  data: unknown;
  reason: string;
}

export interface DecodedBatch {
  events: StatsEvent[];
  invalid: InvalidEvent[];
}

/** A job of the dead-letter queue, as `Queue.addBulk` takes it. */
export interface DeadLetterJob {
  name: 'dead';
  data: {
    queue: string;
    jobId: string;
    name: string;
    index: number;
    data: unknown;
    reason: string;
    deadAt: number;
  };
  opts: { jobId: string };
}

export interface BatchCommitOptions {
  store: Pick<StatsStore, 'applyBatch'>;
  /** the shard's queue name, recorded on its dead letters */
  queue: string;
  /** adds jobs to the dead-letter queue */
  deadLetter: (jobs: DeadLetterJob[]) => Promise<unknown>;
  /** a store write not done by then counts as failed and is retried (the ledger skips a late commit) */
  writeTimeoutMs: number;
  /** the consumer's pause (cut short by its abort) */
  sleep: (ms: number) => Promise<void>;
  /** true once the lease is lost: retrying stops, the batch is dropped */
  aborted: () => boolean;
  events: ConsumerEmitter;
}

/** A job carries one event (earlier versions) or many (group commit): all become events. */
export function decodeBatch(batch: readonly TakenJob[]): DecodedBatch {
  const decoded: DecodedBatch = { events: [], invalid: [] };
  for (const job of batch) {
    const { events, invalid } = decodeJob(jobDataOf(job));
    decoded.events.push(...events);
    for (const bad of invalid) decoded.invalid.push({ job, ...bad });
  }
  return decoded;
}

/** The dead-letter jobs of unreadable events: the same event dead-lettered twice is kept once. */
export function deadLetterJobs(
  queue: string,
  invalid: readonly InvalidEvent[],
  now: number,
): DeadLetterJob[] {
  return invalid.map(({ job, index, data, reason }) => ({
    name: 'dead',
    data: { queue, jobId: job.id, name: job.name, index, data, reason, deadAt: now },
    // a crash before its completion dead-letters the event again: one id keeps it once
    opts: { jobId: `${queue}-${String(job.id).replace(/[^\w-]/g, '_')}-${index}` },
  }));
}

/**
 * Commits one batch: its unreadable events to the dead-letter queue, the rest to the store in
 * one transaction under the write deadline; a failure retries the same batch with back-off
 * until it is done or the lease is lost. Completing the jobs is the caller's, after a commit.
 */
export class BatchCommit {
  constructor(private readonly opts: BatchCommitOptions) {}

  /** true once committed; false when the lease was lost first (nothing may be completed). */
  async commit(batch: readonly TakenJob[]): Promise<boolean> {
    const { events, invalid } = decodeBatch(batch);
    const { store, writeTimeoutMs } = this.opts;
    for (let attempt = 0; !this.opts.aborted(); attempt++) {
      const started = process.hrtime.bigint();
      try {
        if (invalid.length > 0) await this.deadLetter(invalid);
        const result =
          events.length > 0
            ? await withTimeout(store.applyBatch(events), writeTimeoutMs, 'the store write')
            : null;
        this.opts.events.emit('batchCommitted', {
          events: events.length,
          deadLettered: invalid.length,
          applied: result?.applied ?? 0,
          duplicates: result?.duplicates ?? 0,
          stale: result?.stale ?? 0,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          attempts: attempt + 1,
        });
        return true;
      } catch (err) {
        this.opts.events.emit('commitFailed', { err, attempt, events: events.length });
        await this.opts.sleep(backoffMs(attempt));
      }
    }
    this.opts.events.emit('batchDropped', { events: events.length });
    return false;
  }

  private async deadLetter(invalid: readonly InvalidEvent[]): Promise<void> {
    await this.opts.deadLetter(deadLetterJobs(this.opts.queue, invalid, Date.now()));
    this.opts.events.emit('deadLettered', { count: invalid.length, reason: invalid[0]?.reason });
  }
}
