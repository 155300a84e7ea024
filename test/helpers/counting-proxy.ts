import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { Metrics } from '../../src/metrics/metrics';
import { createShardQueues } from '../../src/queue/queues';
import { startProxy, type ProxyRole } from '../../src/roles/proxy-role';
import { SqliteStore } from '../../src/store/sqlite';
import { ShardWorker } from '../../workers/worker';
import { RedisProcess } from './redis-server';
import { waitFor } from './wait';

/**
 * The whole pipeline, real, for tests that check what was counted: a private redis-server,
 * the proxy role as production composes it (on a free port), a shard worker in this process and
 * a SQLite file in a temp folder. `counted()` waits until every queue is drained.
 */
export class CountingProxy {
  private proxyStopped: Promise<unknown> | undefined;

  private constructor(
    readonly url: string,
    readonly config: Config,
    readonly metrics: Metrics,
    private readonly server: RedisProcess,
    private readonly dir: string,
    private readonly store: SqliteStore,
    private readonly proxy: ProxyRole,
    private readonly worker: ShardWorker,
    private readonly redis: Redis,
    private readonly queues: Queue[],
  ) {}

  static async start(settings: Partial<Record<keyof Config, string | number>>): Promise<CountingProxy> {
    const server = await RedisProcess.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-counting-'));
    const config = testConfig({
      PORT: 0,
      HOST: '127.0.0.1',
      SHARDS: 2,
      FLUSH_INTERVAL_MS: 50,
      LEASE_TTL_MS: 2000,
      CACHE_TTL_SECONDS: 0,
      OUTBOX_DIR: path.join(dir, 'outbox'),
      SQLITE_PATH: path.join(dir, 'stats.db'),
      LOG_LEVEL: 'silent',
      ...settings,
    });
    const logger = createLogger(config.LOG_LEVEL, { write: () => {} });
    const store = new SqliteStore({ path: config.SQLITE_PATH });
    await store.init();
    const metrics = new Metrics();
    const proxy = await startProxy({ config, logger, metrics, redis: server.url, store });
    const worker = new ShardWorker({ config, redis: server.url, store, logger });
    worker.start();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const queues = createShardQueues(redis, config.SHARDS);
    return new CountingProxy(
      `http://127.0.0.1:${proxy.port}`,
      config,
      metrics,
      server,
      dir,
      store,
      proxy,
      worker,
      redis,
      queues,
    );
  }

  /** Requests the store counted over all keystems, once no job is left in any queue. */
  async counted(): Promise<number> {
    await waitFor(async () => (await this.openJobs()) === 0, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'every stats job processed',
    });
    return (await this.store.getSummary()).totalRequests;
  }

  /** Waits until the store counts `expected` requests and no job is left, then answers the count. */
  async countedAtLeast(expected: number): Promise<number> {
    await waitFor(async () => (await this.store.getSummary()).totalRequests >= expected, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: `${expected} requests counted`,
    });
    return this.counted();
  }

  /** The statistics store the worker writes (for reads beside the HTTP API). */
  get stats(): SqliteStore {
    return this.store;
  }

  /** Jobs not yet completed, over every shard queue (failed ones count: nothing may fail). */
  private async openJobs(): Promise<number> {
    const counts = await Promise.all(
      this.queues.map((q) => q.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed')),
    );
    return counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
  }

  /** Stops the proxy alone, as a SIGTERM would within `timeoutMs`; the worker goes on counting. */
  async stopProxy(timeoutMs: number): Promise<void> {
    this.proxyStopped ??= this.proxy.close(timeoutMs);
    await this.proxyStopped;
  }

  async close(): Promise<void> {
    const steps = [
      () => (this.proxyStopped ??= this.proxy.close()),
      () => this.worker.close(),
      () => Promise.all(this.queues.map((q) => q.close())),
      async () => this.redis.disconnect(),
      () => this.store.close(),
      () => this.server.stop(),
    ];
    for (const step of steps) await step().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
