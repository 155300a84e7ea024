import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { Metrics } from '../../src/metrics/metrics';
import { createShardQueues } from '../../src/queue/queues';
import { shardOf } from '../../src/queue/shard';
import { SqliteStore } from '../../src/store/sqlite';
import { ShardWorker } from '../../workers/worker';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { parseExposition, valueOf } from '../metrics/exposition';
import { keystems, packEvent } from './support/events';
import { countedTotal } from './support/totals';

/**
 * Redis at its memory limit (noeviction, as production must run) refuses every write, so no
 * job can be fetched. The worker must keep trying and drain the queues once memory is raised.
 */
describe('a shard worker when Redis is out of memory', () => {
  let server: RedisProcess;
  let dir: string;
  let redis: Redis;
  let queues: Queue[];
  let store: SqliteStore;
  let worker: ShardWorker | undefined;

  beforeEach(async () => {
    server = await RedisProcess.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-redis-full-'));
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    queues = createShardQueues(redis, 2);
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
  });

  afterEach(async () => {
    await worker?.close();
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    await store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries its fetches while Redis refuses writes and counts every event once after', async () => {
    const ks = keystems(4);
    const events = Array.from({ length: 300 }, (_, i) => packEvent(ks[i % ks.length]!));
    await Promise.all(queues.map((q) => q.pause()));
    for (const e of events) {
      await queues[shardOf(e.keystem, 2)]!.add(e.kind, e, { jobId: e.eventId });
    }
    const metrics = new Metrics();
    const fetchFailures = async () =>
      valueOf(parseExposition(await metrics.registry.metrics()), 'pacproxy_fetch_failures_total');
    const config = testConfig({ SHARDS: 2, FLUSH_INTERVAL_MS: 100, FLUSH_MAX_JOBS: 100, LEASE_TTL_MS: 1500 });
    worker = new ShardWorker({
      config,
      redis: server.url,
      store,
      logger: createLogger('silent'),
      metrics,
      workerId: 'w1',
    });
    worker.start();
    await waitFor(() => worker!.ownedShards().length === 2, { what: 'both shards owned' });

    // full: lease renewals (PEXPIRE) still pass, every job fetch (RPOPLPUSH, SET) is refused;
    // the resume's last write (the marker) is refused too, after the jobs are back in wait
    await redis.config('SET', 'maxmemory', '1');
    await Promise.all(queues.map((q) => q.resume().catch(() => undefined)));
    await waitFor(async () => (await fetchFailures()) > 0, { what: 'a fetch refused by Redis' });
    expect(await countedTotal(store, ks)).toBe(0);

    await redis.config('SET', 'maxmemory', '0');

    await waitFor(async () => (await countedTotal(store, ks)) === 300, { what: '300 events counted' });
    for (const queue of queues) {
      await waitFor(async () => (await queue.getJobCounts('active')).active === 0, {
        what: 'no job left active',
      });
      expect(await queue.getJobCounts('wait', 'active', 'failed')).toEqual({ wait: 0, active: 0, failed: 0 });
    }
    expect(worker.ownedShards()).toHaveLength(2);
  });
});
