import type { Queue } from 'bullmq';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeJob } from '../../src/queue/event-codec';
import { createDeadLetterQueue, createShardQueues } from '../../src/queue/queues';
import { createRedis, type RedisClient } from '../../src/queue/redis';
import { SqliteStore } from '../../src/store/sqlite';
import type { ConsumerEvents } from '../../workers/consumer-events';
import { ShardConsumer } from '../../workers/shard-consumer';
import { packEvent } from '../helpers/stats-events';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { captureLogger } from './support/log';

/** One shard consumer on a real Redis and SQLite file: what it does, a subscriber hears. */
describe('ShardConsumer events', () => {
  let server: RedisProcess;
  let dir: string;
  let redis: RedisClient;
  let queue: Queue;
  let deadLetters: Queue;
  let store: SqliteStore;
  let consumer: ShardConsumer;

  beforeEach(async () => {
    server = await RedisProcess.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-consumer-'));
    redis = createRedis(server.url, 'worker', 'test', captureLogger().logger);
    queue = createShardQueues(redis, 1)[0]!;
    deadLetters = createDeadLetterQueue(redis);
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    consumer = new ShardConsumer({
      shard: 0,
      epoch: 1,
      workerId: 'w1',
      connection: redis,
      store,
      deadLetters,
      flushIntervalMs: 50,
      flushMaxJobs: 100,
      lockDurationMs: 3000,
      storeWriteTimeoutMs: 3000,
    });
  });

  afterEach(async () => {
    await consumer.stop();
    await queue.close();
    await deadLetters.close();
    redis.disconnect();
    await store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells a subscriber of every committed batch and of dead letters', async () => {
    const committed: Array<ConsumerEvents['batchCommitted'][0]> = [];
    const dead: number[] = [];
    consumer.events.on('batchCommitted', (batch) => committed.push(batch));
    consumer.events.on('deadLettered', ({ count }) => dead.push(count));
    consumer.start();

    for (let i = 0; i < 30; i++) {
      const events = [packEvent('keystem-00', i + 1), packEvent('keystem-01', i + 1)];
      await queue.add('2 pack', encodeJob(events));
    }
    await queue.add('pack', { kind: 'pack', eventId: 'nope' }, { jobId: 'broken-1' });

    const sum = (pick: (b: ConsumerEvents['batchCommitted'][0]) => number) =>
      committed.reduce((total, b) => total + pick(b), 0);
    await waitFor(() => sum((b) => b.events) === 60 && sum((b) => b.deadLettered) === 1, {
      what: 'every event committed',
    });
    expect(sum((b) => b.applied)).toBe(60);
    expect(sum((b) => b.duplicates + b.stale)).toBe(0);
    expect(dead).toEqual([1]);
    expect((await store.getSummary()).totalRequests).toBe(60);
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 31, {
      what: 'every job completed',
    });
  });
});
