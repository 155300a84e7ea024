import type { Queue } from 'bullmq';
import type { RedisClient } from '../../src/queue/redis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { Outbox } from '../../src/queue/outbox';
import { QueueSink } from '../../src/queue/producer';
import { createShardQueues } from '../../src/queue/queues';
import { createRedis } from '../../src/queue/redis';
import { SqliteStore } from '../../src/store/sqlite';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { CAN_MOUNT_DISKS, TinyDisk } from '../helpers/tiny-disk';

/**
 * /readyz means "can this process accept and record requests now": Redis, or the outbox while
 * it has room. Real redis-server, real SQLite file, a real full filesystem under the outbox.
 */
describe('GET /readyz (real redis-server, real SQLite file, real full disk)', () => {
  const logger = createLogger('silent');
  let redisProcess: RedisProcess;
  let redis: RedisClient;
  let queues: Queue[];
  let dir: string;
  let disk: TinyDisk | null;
  let outbox: Outbox;
  let sink: QueueSink;
  let store: SqliteStore;

  beforeAll(async () => {
    redisProcess = await RedisProcess.start();
    redis = createRedis(redisProcess.url, 'fail-fast', 'test-readyz', logger);
    await waitFor(() => redis.status === 'ready', { what: 'Redis connection' });
    queues = createShardQueues(redis, 2);
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-readyz-'));
    disk = await TinyDisk.mount(path.join(dir, 'outbox'), 256 * 1024);
    outbox = await Outbox.open({ dir: path.join(dir, 'outbox'), logger });
    sink = new QueueSink({ redis, queues, outbox, enqueueTimeoutMs: 2000, logger, replayIntervalMs: 50 });
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
  });
  afterAll(async () => {
    await sink.close();
    await outbox.close();
    await store.close();
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    await redisProcess.stop();
    await disk?.unmount();
    rmSync(dir, { recursive: true, force: true });
  });

  const appOf = () => createApp({ config: testConfig(), logger, sink, store });

  it('is ready with nothing degraded when Redis and the store answer', async () => {
    const res = await request(appOf()).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready', degraded: [] });
  });

  it('stays ready through a Redis outage (the outbox takes events) and names Redis', async () => {
    const app = appOf();
    await redisProcess.kill();
    try {
      const res = await request(app).get('/readyz').expect(200);
      expect(res.body.status).toBe('ready');
      expect(res.body.degraded.map((d: { part: string }) => d.part)).toEqual(['redis']);
    } finally {
      await redisProcess.restart();
    }
    await waitFor(async () => (await request(app).get('/readyz')).body.degraded?.length === 0, {
      what: 'nothing degraded again',
    });
  });

  it('is ready but names the store when it cannot be read', async () => {
    const app = appOf();
    await store.close();
    try {
      const res = await request(app).get('/readyz').expect(200);
      expect(res.body.degraded).toEqual([{ part: 'store', reason: expect.stringMatching(/^read: /) }]);
    } finally {
      await store.init();
    }
  });

  // a real tmpfs under the outbox: mounting needs root, as in CI's container
  const withDisk = CAN_MOUNT_DISKS ? it : it.skip;
  withDisk('is not ready when Redis is down and the outbox has no room, and says why', async () => {
    const app = appOf();
    disk!.fill();
    await redisProcess.kill();
    try {
      const res = await request(app).get('/readyz').expect(503);
      expect(res.body).toMatchObject({ Code: 'PACPROXY_ERR_NOT_READY' });
      expect(res.body.degraded.map((d: { part: string }) => d.part).sort()).toEqual(['outbox', 'redis']);
      // with Redis back, a full outbox does not cost readiness
      await redisProcess.restart();
      await waitFor(async () => (await request(app).get('/readyz')).status === 200, { what: 'ready' });
      const back = await request(app).get('/readyz').expect(200);
      expect(back.body.degraded).toEqual([{ part: 'outbox', reason: expect.any(String) }]);
    } finally {
      await disk!.free();
    }
  });
});
