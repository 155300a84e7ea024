import type { Queue } from 'bullmq';
import { createRedis, type RedisClient, type RedisTarget } from '../src/queue/redis';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../src/config';
import { runShutdown, type ShutdownReport, type ShutdownStep } from '../src/lifecycle/shutdown';
import type { Logger } from '../src/log/logger';
import type { Metrics } from '../src/metrics/metrics';
import { prepareEventDecoding } from '../src/queue/event-codec';
import { createDeadLetterQueue } from '../src/queue/queues';
import type { StatsStore } from '../src/store/types';
import { LeaseManager, type ShardOwner } from './lease-manager';
import { countConsumerEvents } from './consumer-metrics';
import { logConsumerEvents } from './consumer-log';
import { ShardConsumer } from './shard-consumer';
import { StoreHealth, type Readiness } from './store-health';

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

/**
 * One worker process's share of the pipeline: a lease manager deciding which shards are ours,
 * and a ShardConsumer per owned shard. The stop (shutdownSteps) stops taking shards, flushes
 * and completes every open batch, releases the leases and closes the connections; past its
 * share of the deadline it drops the open batches instead (they are re-delivered).
 */
export class ShardWorker implements ShardOwner {
  readonly workerId: string;
  private readonly bullConnection: RedisClient;
  private readonly leaseConnection: RedisClient;
  private readonly deadLetters: Queue;
  private readonly leases: LeaseManager;
  private readonly consumers = new Map<number, ShardConsumer>();
  private readonly log: Logger;
  private readonly health = new StoreHealth();

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
    prepareEventDecoding();
    this.leases.start();
  }

  ownedShards(): number[] {
    return this.leases.ownedShards();
  }

  /** Ready unless the store cannot commit (GET /readyz on the worker's metrics port). */
  readiness(): Readiness {
    return this.health.readiness();
  }

  /** The stop, for src/lifecycle/shutdown.ts: at most `timeoutMs` in all. */
  shutdownSteps(timeoutMs: number): ShutdownStep[] {
    return [
      { name: 'open batches', timeoutMs: timeoutMs * 0.6, run: () => this.leases.stop() },
      {
        name: 'shard consumers',
        timeoutMs: timeoutMs / 10,
        run: async () => {
          this.leases.halt();
          await Promise.all([...this.consumers.values()].map((c) => c.abort()));
          this.consumers.clear();
        },
      },
      { name: 'leases', timeoutMs: timeoutMs / 10, run: () => this.leases.releaseHeld() },
      {
        name: 'worker connections',
        run: async () => {
          this.bullConnection.disconnect();
          this.leaseConnection.disconnect();
          await this.deadLetters.close();
          this.log.info('worker stopped');
        },
      },
    ];
  }

  /** Runs the stop (tests and tools; processes stop through src/lifecycle/signals.ts). */
  close(timeoutMs = 10_000): Promise<ShutdownReport> {
    return runShutdown(this.shutdownSteps(timeoutMs), timeoutMs);
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
      // a write outliving the lease may be outlived by the ownership itself
      storeWriteTimeoutMs: config.LEASE_TTL_MS,
    });
    logConsumerEvents(consumer.events, this.log.child({ shard, epoch }));
    if (metrics) countConsumerEvents(consumer.events, metrics);
    consumer.events.on('batchCommitted', () => this.health.committed(shard));
    consumer.events.on('commitFailed', ({ err }) => this.health.failed(shard, err));
    this.consumers.set(shard, consumer);
    consumer.start();
  }

  async release(shard: number): Promise<void> {
    await this.consumers.get(shard)?.stop();
    this.consumers.delete(shard);
    this.health.forget(shard);
  }

  async lost(shard: number): Promise<void> {
    const consumer = this.consumers.get(shard);
    // forgotten at once: the shard may be taken again while this one is still aborting
    this.consumers.delete(shard);
    this.health.forget(shard);
    await consumer?.abort();
  }
}
