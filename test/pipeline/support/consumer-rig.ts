import type { Queue } from 'bullmq';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeJob } from '../../../src/queue/event-codec';
import { createDeadLetterQueue, createShardQueues } from '../../../src/queue/queues';
import { createRedis, type RedisClient, type RedisTarget } from '../../../src/queue/redis';
import { SqliteStore } from '../../../src/store/sqlite';
import type { StatsStore } from '../../../src/store/types';
import { ShardConsumer } from '../../../workers/shard-consumer';
import { packEvent } from '../../helpers/stats-events';
import { captureLogger } from './log';

/**
 * What a shard consumer test needs beside the consumer: shard 0's queue on a real Redis (any
 * shape), the dead-letter queue and a SQLite file in a temp folder.
 */
export class ConsumerRig {
  private constructor(
    readonly redis: RedisClient,
    readonly queue: Queue,
    readonly deadLetters: Queue,
    readonly store: SqliteStore,
    private readonly dir: string,
  ) {}

  static async start(target: RedisTarget | string): Promise<ConsumerRig> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-consumer-'));
    const redis = createRedis(target, 'worker', 'test', captureLogger().logger);
    const store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    return new ConsumerRig(redis, createShardQueues(redis, 1)[0]!, createDeadLetterQueue(redis), store, dir);
  }

  /** A consumer of shard 0 (not started) committing into `store`, over `connection`. */
  consumer(store: StatsStore = this.store, lockDurationMs = 3000, connection = this.redis): ShardConsumer {
    return new ShardConsumer({
      shard: 0,
      epoch: 1,
      workerId: 'w1',
      connection,
      store,
      deadLetters: this.deadLetters,
      flushIntervalMs: 50,
      flushMaxJobs: 100,
      lockDurationMs,
      storeWriteTimeoutMs: 10_000,
    });
  }

  /** `n` jobs of one event each, event numbers from `from + 1`. */
  async addJobs(n: number, from = 0): Promise<void> {
    await this.queue.addBulk(
      Array.from({ length: n }, (_, i) => ({
        name: '1 pack',
        data: encodeJob([packEvent('keystem-00', from + i + 1)]),
      })),
    );
  }

  async counted(): Promise<number> {
    return (await this.store.getSummary()).totalRequests;
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.deadLetters.close();
    this.redis.disconnect();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
