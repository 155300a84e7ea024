import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { EARLIER_DEFAULT_SHARDS, NEW_DEPLOYMENT_SHARDS } from '../../src/config';
import { deploymentShards } from '../../src/config/shard-count';
import { holdsShardQueues } from '../../src/queue/queues';
import { shardLayout } from '../../src/queue/shard';
import { SqliteStore } from '../../src/store/sqlite';
import { LogCapture } from '../helpers/log-capture';
import { freePort } from '../helpers/net';
import { RedisProcess } from '../helpers/redis-server';

/**
 * A new store beside a Redis an earlier version filled: its queues past the new default hold
 * events not yet stored, so the deployment keeps the earlier layout (real redis-server, real
 * SQLite file).
 */
describe('deploymentShards with a Redis an earlier version wrote', () => {
  let redis: RedisProcess;
  let dir: string;
  let store: SqliteStore;
  const log = new LogCapture();

  beforeAll(async () => {
    redis = await RedisProcess.start();
  });
  afterAll(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-shards-'));
    store = new SqliteStore({ path: path.join(dir, 'pacproxy.db') });
    await store.init();
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const check = (target: string) => (range: { from: number; to: number }) =>
    holdsShardQueues(target, range, log.logger());

  it('keeps the earlier default when Redis holds a queue past the new default', async () => {
    const { prefix, queue } = shardLayout(9);
    const client = new Redis(redis.url);
    await client.set(`${prefix}:${queue}:id`, '42'); // BullMQ's job counter of stats-9
    client.disconnect();
    expect(await deploymentShards(store, undefined, check(redis.url))).toBe(EARLIER_DEFAULT_SHARDS);
  });

  it('gives the new default when Redis holds only queues within it', async () => {
    const { prefix, queue } = shardLayout(NEW_DEPLOYMENT_SHARDS - 1);
    const client = new Redis(redis.url);
    await client.set(`${prefix}:${queue}:id`, '42');
    client.disconnect();
    expect(await deploymentShards(store, undefined, check(redis.url))).toBe(NEW_DEPLOYMENT_SHARDS);
  });

  it('goes by the store alone when Redis does not answer (a proxy starts without Redis)', async () => {
    const nobody = `redis://127.0.0.1:${await freePort()}`;
    expect(await deploymentShards(store, undefined, check(nobody))).toBe(NEW_DEPLOYMENT_SHARDS);
  });
});
