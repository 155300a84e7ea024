import type { Queue } from 'bullmq';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeJob } from '../../src/queue/event-codec';
import { createDeadLetterQueue, createShardQueues } from '../../src/queue/queues';
import { createRedis, type RedisClient } from '../../src/queue/redis';
import { SqliteStore } from '../../src/store/sqlite';
import { TimeoutError } from '../../src/util/with-timeout';
import type { StatsStore } from '../../src/store/types';
import type { ConsumerEvents } from '../../workers/consumer-events';
import { ShardConsumer } from '../../workers/shard-consumer';
import { packEvent } from '../helpers/stats-events';
import { RedisProcess } from '../helpers/redis-server';
import { SilentProxy } from '../helpers/silent-proxy';
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

  function consumerOn(target: StatsStore, lockDurationMs = 3000, connection = redis): ShardConsumer {
    return new ShardConsumer({
      shard: 0,
      epoch: 1,
      workerId: 'w1',
      connection,
      store: target,
      deadLetters,
      flushIntervalMs: 50,
      flushMaxJobs: 100,
      lockDurationMs,
      storeWriteTimeoutMs: 10_000,
    });
  }

  /** The store, with the commit of its `nth` batch held until `open()`. */
  function heldStore(nth: number) {
    let calls = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const held: StatsStore = Object.assign(Object.create(store) as StatsStore, {
      applyBatch: async (events: Parameters<StatsStore['applyBatch']>[0]) => {
        if (++calls === nth) await gate;
        return store.applyBatch(events);
      },
    });
    return { held, open, calls: () => calls };
  }

  async function addJobs(n: number, from = 0): Promise<void> {
    await queue.addBulk(
      Array.from({ length: n }, (_, i) => ({
        name: '1 pack',
        data: encodeJob([packEvent('keystem-00', from + i + 1)]),
      })),
    );
  }

  beforeEach(async () => {
    server = await RedisProcess.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-consumer-'));
    redis = createRedis(server.url, 'worker', 'test', captureLogger().logger);
    queue = createShardQueues(redis, 1)[0]!;
    deadLetters = createDeadLetterQueue(redis);
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    consumer = consumerOn(store);
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

  it("takes a backlog's next batch while the last one commits, and keeps its locks alive", async () => {
    await addJobs(350);
    const { held, open, calls } = heldStore(2);
    await consumer.stop(); // the unstarted one of beforeEach
    consumer = consumerOn(held, 1000);
    const trouble: string[] = [];
    consumer.events.on('stalledSeen', () => trouble.push('stalled'));
    consumer.events.on('locksLost', () => trouble.push('locks lost'));
    consumer.start();
    // a quarter batch first (25), then twice the last until full: the second (50) is held in
    // its commit, and the third (100) is taken meanwhile
    await waitFor(() => calls() === 2, { what: 'the second batch committing' });
    await waitFor(async () => (await queue.getJobCounts('active')).active === 150, {
      what: 'the next batch taken during the commit',
    });
    try {
      // held past two lock durations: the stalled checker runs, and finds nothing to re-deliver
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(await queue.getJobCounts('active', 'wait')).toEqual({ active: 150, wait: 175 });
    } finally {
      open();
    }
    await waitFor(async () => (await store.getSummary()).totalRequests === 350, {
      what: 'every event counted',
    });
    await waitFor(async () => (await queue.getJobCounts('active')).active === 0, {
      what: 'every job completed',
    });
    expect(trouble).toEqual([]);
    expect((await store.getSummary()).totalRequests).toBe(350);
  });

  it('applies and completes the batch taken ahead too when it stops', async () => {
    await addJobs(350);
    const { held, open, calls } = heldStore(2);
    await consumer.stop(); // the unstarted one of beforeEach
    consumer = consumerOn(held);
    consumer.start();
    await waitFor(() => calls() === 2, { what: 'the second batch committing' });
    await waitFor(async () => (await queue.getJobCounts('active')).active === 150, {
      what: 'the next batch taken during the commit',
    });
    const stopped = consumer.stop();
    open();
    await stopped;
    // nothing left active: the batch taken ahead was applied and completed, not dropped
    expect(await queue.getJobCounts('active', 'wait')).toEqual({ active: 0, wait: 175 });
    expect((await store.getSummary()).totalRequests).toBe(175);
  });

  it('replaces its connection when a Redis call hangs past a lock duration, and counts on', async () => {
    // its sockets go silent (no reset, no error): without a deadline the consumer waits for good
    const proxy = await SilentProxy.start(server.port);
    const through = createRedis(proxy.url, 'worker', 'test-through-proxy', captureLogger().logger);
    try {
      await consumer.stop(); // the unstarted one of beforeEach
      consumer = consumerOn(store, 1000, through);
      const replaced: unknown[] = [];
      consumer.events.on('connectionReplaced', ({ err }) => replaced.push(err));
      consumer.start();
      await addJobs(10);
      await waitFor(async () => (await queue.getJobCounts('completed')).completed === 10, {
        what: 'the first jobs done',
      });

      expect(proxy.silence()).toBeGreaterThan(0);
      await addJobs(10, 10);
      await waitFor(async () => (await store.getSummary()).totalRequests === 20, {
        timeoutMs: 20_000,
        what: 'the jobs added after the silence',
      });
      expect(replaced.length).toBeGreaterThan(0);
      expect(replaced[0]).toBeInstanceOf(TimeoutError);
      await waitFor(async () => (await queue.getJobCounts('completed')).completed === 20, {
        what: 'the jobs added after the silence completed',
      });
      expect((await store.getSummary()).totalRequests).toBe(20);
      await consumer.stop();
    } finally {
      through.disconnect();
      await proxy.close();
    }
  }, 30_000);
});
