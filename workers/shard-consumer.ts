import { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../src/queue/redis';
import { shardLayout } from '../src/queue/shard';
import type { StatsStore } from '../src/store/types';
import { BatchCommit } from './batch-commit';
import { BatchWindow } from './batch-window';
import type { ConsumerEmitter, ConsumerEvents } from './consumer-events';
import type { RefusedCompletion, TakenJob } from './job-batches';
import { LockKeeper } from './lock-keeper';
import { Pauses, backoffMs } from './pause';
import { ShardJobs } from './shard-jobs';

export interface ShardConsumerOptions {
  shard: number;
  /** the lease epoch this consumer runs under (part of its lock token) */
  epoch: number;
  workerId: string;
  /** the worker process's BullMQ connection (src/queue/redis.ts, use 'worker') */
  connection: RedisClient;
  store: StatsStore;
  deadLetters: Queue;
  flushIntervalMs: number;
  flushMaxJobs: number;
  /** job locks last this long and are extended while a batch is open */
  lockDurationMs: number;
  /** a store write not done by then counts as failed and is retried (the ledger skips a late commit) */
  storeWriteTimeoutMs: number;
}

/**
 * The actor of one owned shard, a loop over its parts: fill a batch (batch-window.ts), commit
 * it while its locks are kept alive (batch-commit.ts, lock-keeper.ts), and only then complete
 * its jobs (shard-jobs.ts); nothing is completed before its commit, and the store's ledger skips
 * re-deliveries. What happens is told through `events` (consumer-events.ts), not logged here.
 */
export class ShardConsumer {
  readonly events: ConsumerEmitter = new EventEmitter<ConsumerEvents>();
  private readonly jobs: ShardJobs;
  private readonly window: BatchWindow;
  private readonly commits: BatchCommit;
  private readonly locks: LockKeeper;
  private readonly pauses = new Pauses();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private aborted = false;

  constructor(opts: ShardConsumerOptions) {
    const { events } = this;
    const sleep = (ms: number) => this.pauses.sleep(ms);
    this.jobs = new ShardJobs({
      shard: opts.shard,
      workerId: opts.workerId,
      token: `${opts.workerId}:${opts.shard}:${opts.epoch}`,
      connection: opts.connection,
      lockDurationMs: opts.lockDurationMs,
      events,
    });
    this.window = new BatchWindow({
      source: this.jobs,
      maxJobs: opts.flushMaxJobs,
      intervalMs: opts.flushIntervalMs,
      sleep,
      stopping: () => this.stopping,
    });
    this.commits = new BatchCommit({
      store: opts.store,
      queue: shardLayout(opts.shard).queue,
      deadLetter: (jobs) => opts.deadLetters.addBulk(jobs),
      writeTimeoutMs: opts.storeWriteTimeoutMs,
      sleep,
      aborted: () => this.aborted,
      events,
    });
    this.locks = new LockKeeper({
      extend: (ids) => this.jobs.extendLocks(ids),
      lockDurationMs: opts.lockDurationMs,
      events,
    });
  }

  start(): void {
    if (this.loop) return;
    this.jobs.startStalledChecks();
    this.loop = this.run().catch((err: unknown) => void this.events.emit('crashed', { err }));
  }

  /** Graceful: the open batches are applied and completed, then the consumer stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    this.locks.close();
    await this.jobs.close(false);
  }

  /** The lease is gone: drop the open batches without completing them (their jobs will be re-delivered). */
  async abort(): Promise<void> {
    this.aborted = true;
    this.stopping = true;
    this.pauses.cancel();
    await this.loop;
    this.locks.close();
    await this.jobs.close(true);
  }

  private async run(): Promise<void> {
    // the next batch, taken while the last one commits
    let prefetched: Promise<TakenJob[]> | null = null;
    for (let failures = 0; !this.stopping || prefetched;) {
      const taking = prefetched ?? this.take();
      prefetched = null;
      try {
        const batch = await taking;
        if (batch.length > 0) {
          // a backlog: Redis takes the next batch while this one commits (they alternated,
          // each idle half the time)
          if (this.window.backlog && !this.stopping) prefetched = this.take();
          await this.flush(batch);
        }
        failures = 0;
      } catch (err) {
        // Redis refused a fetch (out of memory, say): the shard must not stay unconsumed once
        // it recovers. Jobs taken before the failure stay locked and come back when their
        // locks expire; the ledger skips any that were applied.
        this.events.emit('fetchFailed', { err, attempt: failures });
        await this.pauses.sleep(backoffMs(failures++));
      }
    }
  }

  /** Fills a batch; its jobs' locks are kept alive from then until its flush is over. */
  private take(): Promise<TakenJob[]> {
    const taking = this.window.fill().then((batch) => {
      this.locks.hold(batch.map((job) => job.id));
      return batch;
    });
    // a prefetch that fails is awaited (and its error handled) only after the flush before it
    taking.catch(() => undefined);
    return taking;
  }

  /**
   * Commits a batch, then completes it. Its locks are released before the completion goes out
   * (they have at least two thirds of a lock duration left): a lock extension answered after the
   * completion deleted them then does not count them as lost.
   */
  private async flush(batch: TakenJob[]): Promise<void> {
    const ids = batch.map((job) => job.id);
    let committed = false;
    try {
      committed = await this.commits.commit(batch);
    } finally {
      this.locks.release(ids);
    }
    if (committed) await this.complete(ids);
  }

  /**
   * A refused completion means the job's lock passed to another worker (it re-delivers the
   * job; the ledger skips it). Should Redis fail here, the jobs stay locked until their locks
   * expire and are then re-delivered, and skipped.
   */
  private async complete(ids: readonly string[]): Promise<void> {
    let refused: RefusedCompletion[];
    try {
      refused = await this.jobs.complete(ids);
    } catch (err) {
      this.events.emit('completionFailed', { err, jobs: ids.length });
      return;
    }
    if (refused.length > 0)
      this.events.emit('completionsRefused', { count: refused.length, code: refused[0]!.code });
  }
}
