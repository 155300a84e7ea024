import type { Queue } from 'bullmq';
import { createRedis, type RedisClient, type RedisTarget } from '../src/queue/redis';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../src/config';
import type { Logger } from '../src/log/logger';
import type { Metrics } from '../src/metrics/metrics';
import { createDeadLetterQueue } from '../src/queue/queues';
import type { StatsStore } from '../src/store/types';
import { LeaseManager, type ShardOwner } from './lease-manager';
import { ShardConsumer } from './shard-consumer';

export interface ShardWorkerOptions {
  config: Pick<Config, 'SHARDS' | 'FLUSH_INTERVAL_MS' | 'FLUSH_MAX_JOBS' | 'LEASE_TTL_MS'>;
  /** the Redis (a URL: one node) */
  redis: RedisTarget | string;
  store: StatsStore;
  logger: Logger;
  metrics?: Metrics;
  /** default: host-pid-random, unique per process */
  workerId?: string;
}

/** How long close() lets open batches flush before abandoning them (they are then re-delivered). */
const CLOSE_GRACE_MS = 8000;

/**
 * One worker process's share of the pipeline: a lease manager deciding which shards are ours,
 * and a ShardConsumer per owned shard. close() stops taking shards, flushes and completes
 * every open batch, releases the leases and closes the connections.
 */
export class ShardWorker implements ShardOwner {
  readonly workerId: string;
  private readonly bullConnection: RedisClient;
  private readonly leaseConnection: RedisClient;
  private readonly deadLetters: Queue;
  private readonly leases: LeaseManager;
  private readonly consumers = new Map<number, ShardConsumer>();
  private readonly log: Logger;

  constructor(private readonly opts: ShardWorkerOptions) {
    this.workerId = opts.workerId ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.log = opts.logger.child({ workerId: this.workerId });
    this.bullConnection = createRedis(opts.redis, 'worker', 'pacproxy-worker', this.log);
    this.leaseConnection = createRedis(opts.redis, 'fail-fast', 'pacproxy-leases', this.log);
    this.deadLetters = createDeadLetterQueue(this.bullConnection);
    this.leases = new LeaseManager({
      redis: this.leaseConnection,
      workerId: this.workerId,
      shards: opts.config.SHARDS,
      leaseTtlMs: opts.config.LEASE_TTL_MS,
      owner: this,
      logger: this.log,
      metrics: opts.metrics,
    });
  }

  start(): void {
    this.log.info({ shards: this.opts.config.SHARDS }, 'worker started');
    this.leases.start();
  }

  ownedShards(): number[] {
    return this.leases.ownedShards();
  }

  async close(): Promise<void> {
    if (!(await within(this.leases.stop(), CLOSE_GRACE_MS))) {
      this.log.warn({ shards: [...this.consumers.keys()] }, 'close: batches not flushed in time, abandoned');
      await Promise.all([...this.consumers.values()].map((c) => c.abort()));
      await within(this.leases.stop(), 2000);
    }
    await this.deadLetters.close();
    this.bullConnection.disconnect();
    this.leaseConnection.disconnect();
    this.log.info('worker stopped');
  }

  acquired(shard: number, epoch: number): void {
    const { config, store, metrics } = this.opts;
    const consumer = new ShardConsumer({
      shard,
      epoch,
      workerId: this.workerId,
      connection: this.bullConnection,
      store,
      deadLetters: this.deadLetters,
      flushIntervalMs: config.FLUSH_INTERVAL_MS,
      flushMaxJobs: config.FLUSH_MAX_JOBS,
      lockDurationMs: config.LEASE_TTL_MS,
      logger: this.log,
      metrics,
    });
    this.consumers.set(shard, consumer);
    consumer.start();
  }

  async release(shard: number): Promise<void> {
    await this.consumers.get(shard)?.stop();
    this.consumers.delete(shard);
  }

  async lost(shard: number): Promise<void> {
    await this.consumers.get(shard)?.abort();
    this.consumers.delete(shard);
  }
}

/** Whether `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
