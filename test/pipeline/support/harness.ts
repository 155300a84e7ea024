import type { Queue } from 'bullmq';
import type { RedisClient } from '../../../src/queue/redis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Outbox } from '../../../src/queue/outbox';
import { QueueSink } from '../../../src/queue/producer';
import { createShardQueues } from '../../../src/queue/queues';
import { createRedis } from '../../../src/queue/redis';
import { shardLayout } from '../../../src/queue/shard';
import type { StatsEvent } from '../../../src/stats/types';
import { SqliteStore } from '../../../src/store/sqlite';
import { RedisProcess } from '../../helpers/redis-server';
import { waitFor } from '../../helpers/wait';
import { captureLogger } from './log';
import { countedRequests, jobsLeftIn } from './totals';
import { NodeProcess, type PipelineEnv } from './worker-process';

/**
 * Everything a pipeline process test needs, real: a private redis-server, a SQLite file in a
 * temp folder, the proxy's producer (QueueSink with its outbox) in the test process, worker
 * processes spawned from dist/, and a reader on the store to check totals.
 */
export class PipelineHarness {
  readonly processes: NodeProcess[] = [];
  private reader: SqliteStore | null = null;

  private constructor(
    readonly server: RedisProcess,
    readonly dir: string,
    readonly env: PipelineEnv,
    readonly redis: RedisClient,
    readonly queues: Queue[],
    readonly outbox: Outbox,
    readonly sink: QueueSink,
  ) {}

  /**
   * `settings.SQLITE_PATH`: the store elsewhere than in the harness's temp folder (a test's own
   * disk); `redisArgs`: redis-server arguments after the usual ones (`--dir` for its own disk).
   */
  static async start(
    settings: Partial<Omit<PipelineEnv, 'REDIS_URL'>> = {},
    redisArgs: string[] = [],
  ): Promise<PipelineHarness> {
    const server = await RedisProcess.start(redisArgs);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-pipeline-'));
    const env: PipelineEnv = {
      REDIS_URL: server.url,
      SQLITE_PATH: path.join(dir, 'stats.db'),
      SHARDS: 8,
      FLUSH_INTERVAL_MS: 200,
      FLUSH_MAX_JOBS: 200,
      LEASE_TTL_MS: 2000,
      ...settings,
    };
    const { logger } = captureLogger();
    // offline queue on: the test's own commands wait through a Redis restart
    const redis = createRedis(server.url, 'worker', 'test-harness', logger);
    const queues = createShardQueues(redis, env.SHARDS);
    const outbox = await Outbox.open({ dir: path.join(dir, 'outbox'), logger });
    const producerRedis = createRedis(server.url, 'fail-fast', 'test-producer', logger);
    const sink = new QueueSink({
      redis: producerRedis,
      queues: createShardQueues(producerRedis, env.SHARDS),
      outbox,
      enqueueTimeoutMs: 500,
      logger,
      replayIntervalMs: 100,
    });
    const harness = new PipelineHarness(server, dir, env, redis, queues, outbox, sink);
    harness.closers.push(async () => {
      await sink.close();
      producerRedis.disconnect();
    });
    return harness;
  }

  private readonly closers: Array<() => Promise<void>> = [];

  startWorker(name: string, env: NodeJS.ProcessEnv = {}): NodeProcess {
    const worker = NodeProcess.worker(name, { ...this.env, ...env });
    this.processes.push(worker);
    return worker;
  }

  /** Records events as the proxy does (Redis, or the outbox when Redis does not answer). */
  async record(events: readonly StatsEvent[]): Promise<void> {
    await Promise.all(events.map((e) => this.sink.record(e)));
  }

  /** Records events in slices, one slice every `intervalMs`: a steady stream that other steps run beside. */
  async stream(events: readonly StatsEvent[], perSlice: number, intervalMs: number): Promise<void> {
    for (let i = 0; i < events.length; i += perSlice) {
      await Promise.all([
        this.record(events.slice(i, i + perSlice)),
        new Promise((r) => setTimeout(r, intervalMs)),
      ]);
    }
  }

  /** Lease owner id of every shard (null: free). */
  async leaseOwners(): Promise<Array<string | null>> {
    return Promise.all(
      Array.from({ length: this.env.SHARDS }, (_, s) => this.redis.get(shardLayout(s).leaseKey)),
    );
  }

  /**
   * waitFor, and on a timeout the error also carries every shard's lease owner and every
   * process's output: what a failure in CI needs to be understood afterwards.
   */
  async waitFor(
    check: () => boolean | Promise<boolean>,
    options: Parameters<typeof waitFor>[1],
  ): Promise<void> {
    await waitFor(check, options).catch(async (err: unknown) => {
      const owners = await this.leaseOwners().catch(() => 'unknown');
      throw new Error(
        `${(err as Error).message}\nlease owners: ${JSON.stringify(owners)}\n${this.outputs()}`,
      );
    });
  }

  /** How many shards each process holds a lease on. */
  async shardsHeld(processes: readonly NodeProcess[]): Promise<number[]> {
    const owners = await this.leaseOwners();
    return processes.map((p) => owners.filter((o) => p.owns(o)).length);
  }

  /** Active jobs whose lock a process holds (its lock token starts with its worker id). */
  async locksHeldBy(proc: NodeProcess): Promise<number> {
    let held = 0;
    for (let s = 0; s < this.env.SHARDS; s++) {
      const { prefix, queue } = shardLayout(s);
      const active = await this.redis.lrange(`${prefix}:${queue}:active`, 0, -1);
      const locks = await Promise.all(active.map((id) => this.redis.get(`${prefix}:${queue}:${id}:lock`)));
      held += locks.filter((token) => proc.owns(token)).length;
    }
    return held;
  }

  /** Jobs anywhere but completed (waiting, active, delayed, failed) over every shard queue. */
  async jobsLeft(): Promise<{ open: number; failed: number }> {
    return jobsLeftIn(this.queues);
  }

  async store(): Promise<SqliteStore> {
    if (!this.reader) {
      this.reader = new SqliteStore({ path: this.env.SQLITE_PATH });
      await this.reader.init();
    }
    return this.reader;
  }

  /**
   * Waits until nothing is left to deliver (outbox empty, no open job) and the store counts
   * `total` requests over the keystems; answers the per-keystem counts.
   */
  async settle(keystems: readonly string[], total: number, timeoutMs = 60_000): Promise<Map<string, number>> {
    let counted = new Map<string, number>();
    await waitFor(
      async () => {
        if (!this.outbox.isEmpty() || (await this.jobsLeft()).open > 0) return false;
        counted = await countedRequests(await this.store(), keystems);
        return [...counted.values()].reduce((a, b) => a + b, 0) === total;
      },
      { timeoutMs, intervalMs: 200, what: `${total} requests counted and no job left` },
    ).catch(async (err) => {
      const sum = [...(await countedRequests(await this.store(), keystems)).values()].reduce(
        (a, b) => a + b,
        0,
      );
      throw new Error(
        `${(err as Error).message} (counted ${sum}, jobs ${JSON.stringify(await this.jobsLeft())})\n${this.outputs()}`,
      );
    });
    return counted;
  }

  outputs(): string {
    return this.processes.map((p) => p.output()).join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill()));
    for (const close of this.closers) await close();
    await Promise.all(this.queues.map((q) => q.close()));
    await this.outbox.close();
    this.redis.disconnect();
    await this.reader?.close();
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
