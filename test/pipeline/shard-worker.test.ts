import type { Queue } from 'bullmq';
import type { RedisClient } from '../../src/queue/redis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metrics } from '../../src/metrics/metrics';
import { Outbox } from '../../src/queue/outbox';
import { QueueSink } from '../../src/queue/producer';
import { createDeadLetterQueue, createShardQueues } from '../../src/queue/queues';
import { createRedis } from '../../src/queue/redis';
import { shardOf } from '../../src/queue/shard';
import { SqliteStore } from '../../src/store/sqlite';
import { testConfig } from '../../src/config';
import { ShardWorker } from '../../workers/worker';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { keystems, packEvent, resetEvent } from './support/events';
import { captureLogger } from './support/log';
import { countedRequests, countedTotal } from './support/totals';

/** The pipeline in one process: a real Redis, a real SQLite file, two shard workers. */
describe('ShardWorker (in process)', () => {
  const config = testConfig({ SHARDS: 4, FLUSH_INTERVAL_MS: 100, FLUSH_MAX_JOBS: 200, LEASE_TTL_MS: 1500 });
  let server: RedisProcess;
  let dir: string;
  let redis: RedisClient;
  let queues: Queue[];
  let sink: QueueSink;
  let outbox: Outbox;
  let store: SqliteStore;
  let workers: ShardWorker[];
  let metrics: Metrics;

  beforeEach(async () => {
    server = await RedisProcess.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-pipeline-'));
    const { logger } = captureLogger();
    redis = createRedis(server.url, 'fail-fast', 'test', logger);
    queues = createShardQueues(redis, config.SHARDS);
    outbox = await Outbox.open({ dir: path.join(dir, 'outbox'), logger });
    sink = new QueueSink({ redis, queues, outbox, enqueueTimeoutMs: 500, logger });
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    metrics = new Metrics();
    workers = [1, 2].map(
      (n) => new ShardWorker({ config, redis: server.url, store, logger, metrics, workerId: `w${n}` }),
    );
    for (const w of workers) w.start();
  });

  afterEach(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await sink.close();
    await Promise.all(queues.map((q) => q.close()));
    await outbox.close();
    redis.disconnect();
    await store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every event once, honours a reset in the stream, and dead-letters unreadable jobs', async () => {
    const ks = keystems(20);
    const early = Array.from({ length: 1000 }, (_, i) => packEvent(ks[i % ks.length]!));
    await Promise.all(early.map((e) => sink.record(e)));
    await waitFor(async () => (await countedTotal(store, ks)) === 1000, { what: '1000 events counted' });

    // a reset of keystem-00 in the stream, then more traffic
    await sink.record(resetEvent('keystem-00', Date.now() + 1));
    const late = Array.from({ length: 1000 }, (_, i) => packEvent(ks[i % ks.length]!, Date.now() + 2));
    await Promise.all(late.map((e) => sink.record(e)));
    // a job that is no stats event
    await queues[0]!.add('pack', { kind: 'pack', eventId: 'nope' }, { jobId: 'broken-1' });

    await waitFor(async () => (await countedTotal(store, ks)) === 2000 - 50, { what: 'all events counted' });
    const counted = await countedRequests(store, ks);
    expect(counted.get('keystem-00')).toBe(50);
    for (const k of ks.slice(1)) expect(counted.get(k)).toBe(100);

    const dead = createDeadLetterQueue(redis);
    await waitFor(async () => (await dead.getJobCounts('wait')).wait === 1, { what: 'a dead letter' });
    const [letter] = await dead.getJobs(['wait']);
    expect(letter!.data).toMatchObject({ queue: 'stats-0', jobId: 'broken-1', data: { eventId: 'nope' } });
    expect(letter!.data.reason).toMatch(/eventId/);
    await dead.close();

    await waitFor(
      async () => {
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('wait', 'active', 'failed')));
        return counts.every((c) => c.wait === 0 && c.active === 0 && c.failed === 0);
      },
      { what: 'empty queues' },
    );
    // every shard has an owner (a lease lost under load is taken again within a tick)
    await waitFor(() => new Set(workers.flatMap((w) => w.ownedShards())).size === config.SHARDS, {
      what: 'every shard owned',
    });
  });

  it('counts jobs of one bare event written by the previous version beside jobs of many, and the good events of a job with a bad one', async () => {
    const queueOf = (keystem: string) => queues[shardOf(keystem, config.SHARDS)]!;
    // as the previous version enqueued: one event per job, job id = event id
    const old = keystems(8).map((k) => packEvent(k));
    for (const e of old) await queueOf(e.keystem).add(e.kind, e, { jobId: e.eventId });
    // a job of many events, one of them unreadable
    const mixed = [packEvent('keystem-01'), { ...packEvent('keystem-01'), at: -1 }, packEvent('keystem-01')];
    await queueOf('keystem-01').add('3 pack', { events: mixed });

    const ks = keystems(8);
    await waitFor(async () => (await countedTotal(store, ks)) === 8 + 2, {
      what: 'old and new jobs counted',
    });
    expect((await countedRequests(store, ks)).get('keystem-01')).toBe(3);
    const dead = createDeadLetterQueue(redis);
    await waitFor(async () => (await dead.getJobCounts('wait')).wait === 1, { what: 'one dead letter' });
    const [letter] = await dead.getJobs(['wait']);
    expect(letter!.data).toMatchObject({ index: 1, data: { eventId: mixed[1]!.eventId } });
    await dead.close();
  });
});
