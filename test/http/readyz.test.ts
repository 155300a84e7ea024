import type { RedisClient } from '../../src/queue/redis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { createRedis } from '../../src/queue/redis';
import { MemorySink } from '../../src/queue/sink';
import { SqliteStore } from '../../src/store/sqlite';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';

describe('GET /readyz (real redis-server, real SQLite file)', () => {
  let redisProcess: RedisProcess;
  let redis: RedisClient;
  let dir: string;
  let store: SqliteStore;
  const logger = createLogger('silent');
  const appOf = () => createApp({ config: testConfig(), logger, sink: new MemorySink(), redis, store });

  beforeAll(async () => {
    redisProcess = await RedisProcess.start();
    redis = createRedis(redisProcess.url, 'fail-fast', 'test-readyz', logger);
    // fail-fast: until the connection is up, /readyz (rightly) says Redis is unreachable
    await waitFor(() => redis.status === 'ready', { what: 'Redis connection' });
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-readyz-'));
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
  });
  afterAll(async () => {
    await store.close();
    redis.disconnect();
    await redisProcess.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready when Redis and the store answer', async () => {
    const res = await request(appOf()).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready' });
  });

  it('is not ready while Redis is stopped, and ready again once it is back', async () => {
    const app = appOf();
    await redisProcess.kill();
    try {
      const res = await request(app).get('/readyz').expect(503);
      expect(res.body).toEqual({ Message: 'not ready: redis unreachable' });
    } finally {
      await redisProcess.restart();
    }
    await waitFor(async () => (await request(app).get('/readyz')).status === 200, { what: 'ready again' });
  });

  it('names the store when it does not answer', async () => {
    const app = appOf();
    await store.close();
    try {
      const res = await request(app).get('/readyz').expect(503);
      expect(res.body).toEqual({ Message: 'not ready: store unreachable' });
    } finally {
      await store.init();
    }
    await request(app).get('/readyz').expect(200);
  });

  it('names both when neither answers', async () => {
    const app = appOf();
    await redisProcess.kill();
    await store.close();
    try {
      const res = await request(app).get('/readyz').expect(503);
      expect(res.body).toEqual({ Message: 'not ready: redis and store unreachable' });
    } finally {
      await store.init();
      await redisProcess.restart();
    }
  });
});
