import type { Worker } from 'bullmq';
import { KEEP_COMPLETED_JOBS } from '../src/queue/queues';
import { duplicateRedis, type RedisClient } from '../src/queue/redis';
import { shardLayout } from '../src/queue/shard';
import type { JobSource } from './batch-window';
import type { ConsumerEmitter } from './consumer-events';
import { JobBatches, type RefusedCompletion, type TakenJob } from './job-batches';
import { createManualWorker } from './manual-worker';

export interface ShardJobsOptions {
  shard: number;
  workerId: string;
  /** the lock token of the jobs this consumer takes */
  token: string;
  /** the worker process's BullMQ connection; the shard talks over a duplicate of its own, so its
   * round trips do not queue behind other shards' */
  connection: RedisClient;
  lockDurationMs: number;
  events: ConsumerEmitter;
}

/**
 * One shard queue's Redis side for its consumer: the idle wait (BullMQ's blocking fetch), taking
 * and completing jobs a few hundred per script call (job-batches.ts), extending their locks,
 * and BullMQ's stalled checker, whose reports come out as one `stalledSeen` per check.
 */
export class ShardJobs implements JobSource {
  private readonly connection: RedisClient;
  private readonly worker: Worker;
  private readonly batches: JobBatches;
  private stalled = 0;

  constructor(private readonly opts: ShardJobsOptions) {
    // No auto-pipelining: it sends a command only at setImmediate, after every socket read of
    // the event loop's turn. Shards' replies arrive together, so each shard's next take and
    // completion waited behind every other shard's commit, and Redis idled while the worker
    // committed (a third of a backlog's drain).
    this.connection = duplicateRedis(opts.connection, `pacproxy-shard-${opts.shard}`, {
      enableAutoPipelining: false,
    });
    this.worker = createManualWorker(
      shardLayout(opts.shard),
      this.connection,
      opts.workerId,
      opts.lockDurationMs,
    );
    this.batches = new JobBatches({
      connection: this.connection,
      toKey: (type) => this.worker.toKey(type),
      token: opts.token,
      lockDurationMs: opts.lockDurationMs,
      workerName: opts.workerId,
      keepCompleted: KEEP_COMPLETED_JOBS,
    });
    this.worker.on('error', (err) => opts.events.emit('queueError', { err }));
    this.worker.on('stalled', () => this.countStalled());
  }

  /** Starts BullMQ's stalled checker: a dead owner's jobs go back to the queue. */
  startStalledChecks(): void {
    void this.worker.startStalledCheckTimer();
  }

  async next(): Promise<TakenJob | null> {
    const job = await this.worker.getNextJob(this.opts.token, { block: true });
    return job ? { id: job.id!, name: job.name, data: job.data as unknown } : null;
  }

  take(max: number, backlog?: boolean): Promise<TakenJob[]> {
    return this.batches.take(max, backlog);
  }

  /** Completes jobs locked by our token; answers those refused (their lock passed on). */
  complete(ids: readonly string[]): Promise<RefusedCompletion[]> {
    return this.batches.complete(ids);
  }

  /** Extends our locks of these jobs by a lock duration; answers the ids not extended. */
  extendLocks(ids: readonly string[]): Promise<string[]> {
    return this.worker.extendJobLocks(
      [...ids],
      ids.map(() => this.opts.token),
      this.opts.lockDurationMs,
    );
  }

  /** Closes BullMQ's worker (`force`: without waiting for its fetch), then the connection. */
  async close(force: boolean): Promise<void> {
    try {
      await this.worker.close(force);
    } finally {
      this.connection.disconnect();
    }
  }

  /** BullMQ reports stalled jobs one by one; they are reported once per check. */
  private countStalled(): void {
    if (this.stalled++ > 0) return;
    setImmediate(() => {
      this.opts.events.emit('stalledSeen', { count: this.stalled });
      this.stalled = 0;
    });
  }
}
