import { Worker, type Job, type JobJsonRaw } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ShardLayout } from '../src/queue/shard';

/**
 * A BullMQ Worker without a processor, for manual fetching ("Manually processing jobs" in the
 * BullMQ docs). It adds one thing: turning the next job that `moveToCompleted(…, fetchNext)`
 * returns into a Job, the way BullMQ's own processing loop does, so completing a batch also
 * fetches the next one (one Redis call per job instead of two).
 */
export class ManualWorker extends Worker {
  static create(
    layout: ShardLayout,
    connection: Redis,
    workerId: string,
    lockDurationMs: number,
  ): ManualWorker {
    return new ManualWorker(layout.queue, null, {
      connection,
      prefix: layout.prefix,
      name: workerId,
      autorun: false,
      lockDuration: lockDurationMs,
      // a dead owner's jobs go back to wait within a lock duration plus two checks
      stalledInterval: Math.max(500, Math.floor(lockDurationMs / 2)),
      // a re-delivery must never fail a job: stalls are bounded by leases, not by a count
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      // how long an idle fetch blocks (seconds): bounds how long a stop or handover waits for it
      drainDelay: 0.25,
    });
  }

  /** The job a completion fetched, if any (`moveToCompleted`'s answer with fetchNext on). */
  async fetchedJob(completion: unknown, token: string): Promise<Job | undefined> {
    if (!Array.isArray(completion) || !completion[0]) return undefined;
    const [jobData, jobId] = completion as [JobJsonRaw, string];
    return this.nextJobFromJobData(jobData, jobId, token);
  }
}
