import type { Worker } from 'bullmq';
import { KEEP_COMPLETED_JOBS } from '../src/queue/queues';
import { duplicateRedis, type RedisClient } from '../src/queue/redis';
import { shardLayout } from '../src/queue/shard';
import { TimeoutError, withTimeout } from '../src/util/with-timeout';
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
  /** job locks last this long; no Redis call of the shard waits longer */
  lockDurationMs: number;
  events: ConsumerEmitter;
}

/** The shard's own connection and what talks over it; replaced whole when a call hangs. */
interface ShardLink {
  connection: RedisClient;
  worker: Worker;
  batches: JobBatches;
}

/**
 * One shard queue's Redis side for its consumer: the idle wait (BullMQ's blocking fetch), taking
 * and completing jobs a few hundred per script call (job-batches.ts), extending their locks,
 * and BullMQ's stalled checker, whose reports come out as one `stalledSeen` per check.
 *
 * Every call has a deadline of a lock duration (by then the locks it would take or keep have
 * lapsed anyway). A call past it fails with a TimeoutError, and when the connection says it is
 * ready the shard's connection and BullMQ worker are replaced: such a call hangs on something
 * that will not come back by itself — a socket gone silent, or BullMQ's idle wait reconnecting
 * a Redis Cluster whose ready check failed (ioredis's connect() then never settles; seen in CI
 * as a shard left unconsumed with its lease held, after a failover).
 */
export class ShardJobs implements JobSource {
  private link: ShardLink;
  /** replaced links still closing: close() waits for them too */
  private readonly retiring = new Set<Promise<void>>();
  private closing = false;
  private stalledChecks = false;
  private stalled = 0;

  constructor(private readonly opts: ShardJobsOptions) {
    this.link = this.connect();
  }

  /** Starts BullMQ's stalled checker: a dead owner's jobs go back to the queue. */
  startStalledChecks(): void {
    this.stalledChecks = true;
    void this.link.worker.startStalledCheckTimer();
  }

  async next(): Promise<TakenJob | null> {
    const job = await this.bounded('idle wait', (link) =>
      link.worker.getNextJob(this.opts.token, { block: true }),
    );
    return job ? { id: job.id!, name: job.name, data: job.data as unknown } : null;
  }

  take(max: number, backlog?: boolean): Promise<TakenJob[]> {
    return this.bounded('take', (link) => link.batches.take(max, backlog));
  }

  /** Completes jobs locked by our token; answers those refused (their lock passed on). */
  complete(ids: readonly string[]): Promise<RefusedCompletion[]> {
    return this.bounded('completion', (link) => link.batches.complete(ids));
  }

  /** Extends our locks of these jobs by a lock duration; answers the ids not extended. */
  extendLocks(ids: readonly string[]): Promise<string[]> {
    return this.bounded('lock extension', (link) =>
      link.worker.extendJobLocks(
        [...ids],
        ids.map(() => this.opts.token),
        this.opts.lockDurationMs,
      ),
    );
  }

  /** Closes BullMQ's worker (`force`: without waiting for its fetch), then the connection. */
  async close(force: boolean): Promise<void> {
    this.closing = true;
    await Promise.all([closeLink(this.link, force, this.opts.lockDurationMs), ...this.retiring]);
  }

  private connect(): ShardLink {
    const { shard, workerId, token, lockDurationMs, events } = this.opts;
    // No auto-pipelining: it sends a command only at setImmediate, after every socket read of
    // the event loop's turn. Shards' replies arrive together, so each shard's next take and
    // completion waited behind every other shard's commit, and Redis idled while the worker
    // committed (a third of a backlog's drain).
    const connection = duplicateRedis(this.opts.connection, `pacproxy-shard-${shard}`, {
      enableAutoPipelining: false,
    });
    const worker = createManualWorker(shardLayout(shard), connection, workerId, lockDurationMs);
    worker.on('error', (err) => events.emit('queueError', { err }));
    worker.on('stalled', () => this.countStalled());
    const batches = new JobBatches({
      connection,
      toKey: (type) => worker.toKey(type),
      token,
      lockDurationMs,
      workerName: workerId,
      keepCompleted: KEEP_COMPLETED_JOBS,
    });
    return { connection, worker, batches };
  }

  /** `call` over the current link, within a lock duration; past it, the link is replaced. */
  private async bounded<T>(what: string, call: (link: ShardLink) => Promise<T>): Promise<T> {
    const link = this.link;
    try {
      return await withTimeout(call(link), this.opts.lockDurationMs, `shard ${this.opts.shard} ${what}`);
    } catch (err) {
      // A connection that is not ready is reconnecting by itself (Redis down): a new one would
      // wait the same. Calls in flight together time out together: the first replaces the link.
      if (
        err instanceof TimeoutError &&
        link === this.link &&
        link.connection.status === 'ready' &&
        !this.closing
      )
        this.replace(err);
      throw err;
    }
  }

  private replace(err: TimeoutError): void {
    const old = this.link;
    this.link = this.connect();
    if (this.stalledChecks) void this.link.worker.startStalledCheckTimer();
    this.opts.events.emit('connectionReplaced', { err });
    // what hangs on the old link is dropped with it; its jobs come back when their locks lapse
    const retired = closeLink(old, true, this.opts.lockDurationMs)
      .catch((closeErr: unknown) => void this.opts.events.emit('queueError', { err: closeErr }))
      .finally(() => this.retiring.delete(retired));
    this.retiring.add(retired);
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

/** Closes a link's BullMQ worker, within `deadlineMs`, and its connection whatever happened. */
async function closeLink(link: ShardLink, force: boolean, deadlineMs: number): Promise<void> {
  try {
    await withTimeout(link.worker.close(force), deadlineMs, "closing a shard's BullMQ worker");
  } finally {
    link.connection.disconnect();
  }
}
