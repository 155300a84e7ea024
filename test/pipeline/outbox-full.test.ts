import type { Queue } from 'bullmq';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { testConfig } from '../../src/config';
import { Outbox } from '../../src/queue/outbox';
import { QueueSink } from '../../src/queue/producer';
import { createShardQueues } from '../../src/queue/queues';
import { createRedis, type RedisClient } from '../../src/queue/redis';
import { SqliteStore } from '../../src/store/sqlite';
import { ShardWorker } from '../../workers/worker';
import { createPackApp, LogCapture, postJson, type PackApp } from '../http/pack-harness';
import { RedisProcess } from '../helpers/redis-server';
import { CAN_MOUNT_DISKS, TinyDisk } from '../helpers/tiny-disk';
import { waitFor } from '../helpers/wait';
import { captureLogger } from './support/log';

const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const KEYSTEM = 'outboxfull';
const auth = { authorization: `apikey ${KEYSTEM}-key-0123` };

/**
 * The contract through a Redis outage on a disk that fills up, all real: pack requests answered
 * 200 are counted exactly once, those answered 503 never, and once Redis is back a full outbox
 * costs no request. Mounting the 128 KB tmpfs needs root (CI's container is).
 */
const withDisk = CAN_MOUNT_DISKS ? describe : describe.skip;
withDisk('pack requests through a Redis outage with the outbox disk full (real tmpfs)', () => {
  let server: RedisProcess;
  let sim: Simulator;
  let dir: string;
  let disk: TinyDisk;
  let redis: RedisClient;
  let queues: Queue[];
  let outbox: Outbox;
  let sink: QueueSink;
  let store: SqliteStore;
  let worker: ShardWorker;
  let proxy: PackApp;

  beforeAll(async () => {
    server = await RedisProcess.start();
    sim = await createSimulator();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-outbox-full-'));
    disk = (await TinyDisk.mount(path.join(dir, 'outbox'), 128 * 1024))!;
    const { logger } = captureLogger();
    redis = createRedis(server.url, 'fail-fast', 'test-proxy', logger);
    await waitFor(() => redis.status === 'ready', { what: 'Redis connection' });
    queues = createShardQueues(redis, 4);
    outbox = await Outbox.open({ dir: disk.dir, logger });
    sink = new QueueSink({ redis, queues, outbox, enqueueTimeoutMs: 2000, logger, replayIntervalMs: 50 });
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    const config = testConfig({ SHARDS: 4, FLUSH_INTERVAL_MS: 100, LEASE_TTL_MS: 1500 });
    worker = new ShardWorker({ config, redis: server.url, store, logger, workerId: 'w1' });
    worker.start();
    proxy = createPackApp({ paccurateUrl: sim.url, sink, logs: new LogCapture() });
  });
  afterAll(async () => {
    await proxy.close();
    await worker.close();
    await sink.close();
    await outbox.close();
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    await store.close();
    await sim.close();
    await server.stop();
    disk.free();
    await disk.unmount();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every 200 once and no 503, and answers 200 again as soon as Redis is back', async () => {
    const statuses: number[] = [];
    const wave = async (n: number) => {
      const answers = await Promise.all(
        Array.from({ length: n }, () => postJson(proxy.app, '/', fixture, auth)),
      );
      statuses.push(...answers.map((a) => a.status));
      return answers.map((a) => a.status);
    };
    await wave(10);
    await server.kill();
    disk.fill(16 * 1024);
    // the outbox takes what fits, then refuses: those requests are answered 503
    while (!statuses.includes(503)) await wave(10);
    await wave(10);

    await server.restart();
    await waitFor(async () => (await sink.health()).degraded.every((d) => d.part !== 'redis'), {
      what: 'Redis answering',
    });
    expect(new Set(await wave(30))).toEqual(new Set([200]));

    const answered200 = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    await waitFor(() => outbox.isEmpty(), { timeoutMs: 15_000, what: 'outbox drained' });
    await waitFor(async () => (await store.getKeystem(KEYSTEM))?.totalRequests === answered200, {
      timeoutMs: 15_000,
      what: 'every 200 counted',
    });
    // and no more than that, once the worker has seen everything
    await waitFor(
      async () => {
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('wait', 'active')));
        return counts.every((c) => c.wait === 0 && c.active === 0);
      },
      { what: 'queues empty' },
    );
    expect((await store.getKeystem(KEYSTEM))?.totalRequests).toBe(answered200);
  });
});
