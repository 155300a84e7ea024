import type { Queue, Worker } from 'bullmq';
import { duplicateRedis, type RedisClient } from '../src/queue/redis';
import type { Logger } from '../src/log/logger';
import type { Metrics } from '../src/metrics/metrics';
import { decodeJob } from '../src/queue/event-codec';
import { shardLayout } from '../src/queue/shard';
import { KEEP_COMPLETED_JOBS } from '../src/queue/queues';
import type { StatsEvent } from '../src/stats/types';
import type { StatsStore } from '../src/store/types';
import { withTimeout } from '../src/util/with-timeout';
import { JobBatches, type RefusedCompletion, type TakenJob } from './job-batches';
import { createManualWorker } from './manual-worker';

export interface ShardConsumerOptions {
  shard: number;
  /** the lease epoch this consumer runs under (part of its lock token, for the logs) */
  epoch: number;
  workerId: string;
  /** the worker process's BullMQ connection (src/queue/redis.ts, use 'worker'); the consumer
   * talks over a duplicate of its own, so its round trips do not queue behind other shards' */
  connection: RedisClient;
  store: StatsStore;
  deadLetters: Queue;
  flushIntervalMs: number;
  flushMaxJobs: number;
  /** job locks last this long and are extended while a batch is open */
  lockDurationMs: number;
  /** a store write not done by then counts as failed and is retried (the ledger skips a late commit) */
  storeWriteTimeoutMs: number;
  /** told of every commit's outcome (the worker's readiness) */
  onCommit?: (error: unknown) => void;
  logger: Logger;
  metrics?: Metrics;
}

/** Store retry delays: 100 ms doubling up to 5 s. */
export function backoffMs(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 5000);
}

interface Decoded {
  events: StatsEvent[];
  /** events that do not decode, each with its job and its place in the job */
  invalid: Array<{ job: TakenJob; index: number; data: unknown; reason: string }>;
}

/**
 * The actor of one owned shard: fetch up to FLUSH_MAX_JOBS jobs (or what came within
 * FLUSH_INTERVAL_MS of the first), apply them to the store in one transaction (the store's
 * ledger skips re-deliveries), and only then complete them in BullMQ. A store failure retries
 * the same batch with backoff while the jobs' locks are kept alive; nothing is completed
 * before its commit. Unreadable jobs go to the dead-letter queue with their reason.
 * An idle consumer waits in BullMQ's blocking fetch; the rest of a batch is taken, and the whole
 * batch completed, a few hundred jobs per Redis script call (job-batches.ts).
 */
export class ShardConsumer {
  private readonly log: Logger;
  private readonly token: string;
  private readonly connection: RedisClient;
  private readonly worker: Worker;
  private readonly jobs: JobBatches;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private aborted = false;
  private interrupt: (() => void) | null = null;
  /** size of the last batch flushed: a big one means a backlog was being drained */
  private lastBatch = 0;

  constructor(private readonly opts: ShardConsumerOptions) {
    this.log = opts.logger.child({ shard: opts.shard, epoch: opts.epoch });
    this.token = `${opts.workerId}:${opts.shard}:${opts.epoch}`;
    this.connection = duplicateRedis(opts.connection, `pacproxy-shard-${opts.shard}`, {
      enableAutoPipelining: true,
    });
    this.worker = createManualWorker(
      shardLayout(opts.shard),
      this.connection,
      opts.workerId,
      opts.lockDurationMs,
    );
    this.jobs = new JobBatches({
      connection: this.connection,
      toKey: (type) => this.worker.toKey(type),
      token: this.token,
      lockDurationMs: opts.lockDurationMs,
      workerName: opts.workerId,
      keepCompleted: KEEP_COMPLETED_JOBS,
    });
    this.worker.on('error', (err) => this.log.debug({ err }, 'BullMQ worker error'));
    this.worker.on('stalled', () => this.countStalled());
  }

  start(): void {
    if (this.loop) return;
    void this.worker.startStalledCheckTimer();
    this.loop = this.run().catch((err) => this.log.error({ err }, 'shard consumer stopped by an error'));
  }

  /** Graceful: the open batch is applied and completed, then the consumer stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.worker.close();
    this.connection.disconnect();
  }

  /** The lease is gone: drop the open batch without completing it (its jobs will be re-delivered). */
  async abort(): Promise<void> {
    this.aborted = true;
    this.stopping = true;
    this.interrupt?.();
    await this.loop;
    await this.worker.close(true);
    this.connection.disconnect();
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.stopping;) {
      try {
        const batch = await this.fill();
        if (batch.length > 0) await this.flush(batch);
        this.lastBatch = batch.length;
        failures = 0;
      } catch (err) {
        // Redis refused a fetch (out of memory, say): the shard must not stay unconsumed once
        // it recovers. Jobs taken before the failure stay locked and come back when their
        // locks expire; the ledger skips any that were applied.
        this.log[failures === 0 ? 'error' : 'debug']({ err, failures }, 'fetching jobs failed; retrying');
        await this.sleep(backoffMs(failures++));
      }
    }
  }

  /** Collects a batch: blocks while idle, then takes what is waiting until full or the window closes. */
  private async fill(): Promise<TakenJob[]> {
    const { flushMaxJobs, flushIntervalMs } = this.opts;
    // a backlog needs no blocking wait: the first take finds it
    const batch = this.lastBatch > 0 ? await this.jobs.take(flushMaxJobs) : [];
    if (batch.length === 0) {
      const first = await this.worker.getNextJob(this.token, { block: true });
      if (!first) return batch;
      batch.push({ id: first.id!, name: first.name, data: first.data as unknown });
    }
    const deadline = Date.now() + flushIntervalMs;
    while (batch.length < flushMaxJobs && !this.stopping && Date.now() < deadline) {
      const found = await this.jobs.take(flushMaxJobs - batch.length);
      batch.push(...found);
      if (found.length === 0) {
        // the queue ran dry: a batch at least half full, or the rest of a backlog (the last
        // batch was that big), is flushed now — waiting would only delay it; a small batch of
        // light traffic waits for more, within the window
        if (batch.length >= flushMaxJobs / 2 || this.lastBatch >= flushMaxJobs / 2) break;
        await this.sleep(Math.min(deadline - Date.now(), 50));
      }
    }
    return batch;
  }

  /** Applies a batch, then completes it. */
  private async flush(batch: TakenJob[]): Promise<void> {
    const { events, invalid } = decodeAll(batch);
    const keepLocks = setInterval(
      () => void this.extendLocks(batch),
      Math.floor(this.opts.lockDurationMs / 3),
    );
    let committed = false;
    try {
      committed = await this.commit(events, invalid);
    } finally {
      clearInterval(keepLocks);
    }
    if (committed) await this.complete(batch);
  }

  /** Dead letters, then the store transaction; retried with backoff until done or aborted. */
  private async commit(events: StatsEvent[], invalid: Decoded['invalid']): Promise<boolean> {
    for (let attempt = 0; !this.aborted; attempt++) {
      const started = process.hrtime.bigint();
      try {
        if (invalid.length > 0) await this.deadLetter(invalid);
        const result =
          events.length > 0
            ? await withTimeout(
                this.opts.store.applyBatch(events),
                this.opts.storeWriteTimeoutMs,
                'the store write',
              )
            : null;
        this.opts.onCommit?.(null);
        const m = this.opts.metrics;
        if (m) {
          m.flushDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
          m.batchSize.observe(events.length + invalid.length);
          m.eventsProcessed.inc({ outcome: 'applied' }, result?.applied ?? 0);
          m.eventsProcessed.inc({ outcome: 'duplicate' }, result?.duplicates ?? 0);
          m.eventsProcessed.inc({ outcome: 'stale' }, result?.stale ?? 0);
          m.eventsProcessed.inc({ outcome: 'dead_letter' }, invalid.length);
        }
        if (attempt > 0) this.log.info({ attempts: attempt + 1 }, 'batch applied after retries');
        return true;
      } catch (err) {
        this.opts.metrics?.flushFailures.inc();
        this.opts.onCommit?.(err);
        const level = attempt === 0 ? 'warn' : 'debug';
        this.log[level](
          { err, attempt, events: events.length },
          'batch not applied; retrying the same batch',
        );
        await this.sleep(backoffMs(attempt));
      }
    }
    this.log.warn(
      { events: events.length },
      'lease lost: open batch dropped uncompleted (it will be re-delivered)',
    );
    return false;
  }

  private async deadLetter(invalid: Decoded['invalid']): Promise<void> {
    const queue = shardLayout(this.opts.shard).queue;
    await this.opts.deadLetters.addBulk(
      invalid.map(({ job, index, data, reason }) => ({
        name: 'dead',
        data: { queue, jobId: job.id, name: job.name, index, data, reason, deadAt: Date.now() },
        // the same event dead-lettered twice (a crash before its completion) is kept once
        opts: { jobId: `${queue}-${String(job.id).replace(/[^\w-]/g, '_')}-${index}` },
      })),
    );
    this.log.error(
      { jobs: invalid.length, reason: invalid[0]?.reason },
      'jobs moved to the dead-letter queue',
    );
  }

  /**
   * Completes every job of a committed batch. A refused completion means the job's lock passed
   * to another worker (it re-delivers the job; the ledger skips it). Should Redis fail here,
   * the jobs stay locked until their locks expire and are then re-delivered, and skipped.
   */
  private async complete(batch: readonly TakenJob[]): Promise<void> {
    let refused: RefusedCompletion[];
    try {
      refused = await this.jobs.complete(batch.map((job) => job.id));
    } catch (err) {
      this.log.warn({ err, jobs: batch.length }, 'completions failed; the jobs will be re-delivered');
      return;
    }
    if (refused.length > 0) {
      this.log.warn(
        { refused: refused.length, code: refused[0]!.code },
        'completions refused (locks lost); those jobs will be re-delivered',
      );
    }
  }

  private async extendLocks(batch: readonly TakenJob[]): Promise<void> {
    try {
      const ids = batch.map((j) => j.id);
      const failed = await this.worker.extendJobLocks(
        ids,
        ids.map(() => this.token),
        this.opts.lockDurationMs,
      );
      if (failed.length > 0)
        this.log.warn({ failed: failed.length }, 'job locks lost while a batch was open');
    } catch (err) {
      this.log.debug({ err }, 'job lock extension failed');
    }
  }

  private stalled = 0;

  /** BullMQ reports stalled jobs one by one; they are logged once per check. */
  private countStalled(): void {
    if (this.stalled++ > 0) return;
    setImmediate(() => {
      this.log.info({ jobs: this.stalled }, 'stalled jobs of a dead or paused owner returned to the queue');
      this.stalled = 0;
    });
  }

  /** A pause that abort() cuts short. */
  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.interrupt = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** A job carries one event (earlier versions) or many (group commit): all become events. */
function decodeAll(batch: readonly TakenJob[]): Decoded {
  const decoded: Decoded = { events: [], invalid: [] };
  for (const job of batch) {
    const { events, invalid } = decodeJob(job.data);
    decoded.events.push(...events);
    for (const bad of invalid) decoded.invalid.push({ job, ...bad });
  }
  return decoded;
}
