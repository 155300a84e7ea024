import { StepIncompleteError } from '../src/lifecycle/shutdown';
import type { RedisClient } from '../src/queue/redis';
import type { Logger } from '../src/log/logger';
import type { Metrics } from '../src/metrics/metrics';
import { MEMBERS_KEY, fnv1a32, shardLayout } from '../src/queue/shard';

/**
 * Shard ownership through leases in Redis. A lease is a key `{pacproxy-sN}:lease` holding the
 * owner's id with an expiry (SET NX PX), renewed by compare-and-pexpire and released by
 * compare-and-del; every acquisition INCRs the shard's epoch. Live workers are a sorted set
 * scored by their last heartbeat (Redis time); entries older than the lease TTL are pruned.
 * Each worker computes the same even shares over the live ids, keeps what it holds up to its
 * share, gives back a surplus (after its consumer flushed) and fills a deficit with free
 * shards. Ownership is an efficiency device: correctness rests on the store's ledger.
 */

/** What the manager asks of the worker when ownership changes. */
export interface ShardOwner {
  /** the shard is ours from now on (epoch: this ownership's number) */
  acquired(shard: number, epoch: number): void;
  /** give the shard back: flush and complete the open batch, stop; the lease is released after */
  release(shard: number): Promise<void>;
  /**
   * the lease is gone (renewal refused, or not renewed in time): stop at once, complete nothing.
   * Not awaited: a consumer stuck in a store write must not delay the other shards' renewals.
   */
  lost(shard: number): Promise<void>;
}

export interface LeaseManagerOptions {
  /** a fail-fast connection (src/queue/redis.ts) */
  redis: RedisClient;
  workerId: string;
  shards: number;
  leaseTtlMs: number;
  owner: ShardOwner;
  logger: Logger;
  metrics?: Metrics;
}

const SCRIPTS = {
  leaseAcquire: {
    numberOfKeys: 2,
    lua: `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
            return redis.call('INCR', KEYS[2])
          end
          return 0`,
  },
  leaseRenew: {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
          return 0`,
  },
  leaseRelease: {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
          return 0`,
  },
  heartbeat: {
    numberOfKeys: 1,
    lua: `local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
          redis.call('ZADD', KEYS[1], now, ARGV[1])
          return redis.call('ZRANGE', KEYS[1], 0, -1)`,
  },
} as const;

type LeaseCommands = {
  [K in keyof typeof SCRIPTS]: (...args: Array<string | number>) => Promise<unknown>;
};

/**
 * How many shards a worker should own: an even split over the sorted live ids, the first
 * (shards mod n) of them taking one more. Every worker computes the same shares.
 */
export function shareOf(workerId: string, liveIds: readonly string[], shards: number): number {
  const sorted = [...liveIds].sort();
  const index = sorted.indexOf(workerId);
  if (index < 0) return 0;
  return Math.floor(shards / sorted.length) + (index < shards % sorted.length ? 1 : 0);
}

export class LeaseManager {
  private readonly redis: RedisClient & LeaseCommands;
  private readonly tickMs: number;
  /**
   * shard → local deadline: past it another worker may hold the lease. On the monotonic clock
   * (performance.now()): a wall clock stepped back (NTP, a resumed VM) would stretch the
   * deadline past the lease's real end in Redis.
   */
  private readonly owned = new Map<number, number>();
  private readonly releasing = new Map<number, Promise<void>>();
  private loop: Promise<void> | null = null;
  private stopping = false;
  /** halt(): the loop ends after its current tick, whatever is still owned */
  private halted = false;
  private wake: (() => void) | null = null;
  private failing = false;

  constructor(private readonly opts: LeaseManagerOptions) {
    for (const [name, script] of Object.entries(SCRIPTS)) {
      if (!(name in opts.redis)) opts.redis.defineCommand(name, script);
    }
    this.redis = opts.redis as RedisClient & LeaseCommands;
    // Five beats per TTL: a dead worker's shards move within a fifth of a TTL after it expires.
    this.tickMs = Math.max(50, Math.floor(opts.leaseTtlMs / 5));
  }

  /** Shards whose lease this worker holds now. */
  ownedShards(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops taking shards, leaves the membership, releases every shard (after its flush). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.redis.zrem(MEMBERS_KEY, this.opts.workerId).catch(() => undefined);
    this.wake?.();
    await this.loop;
  }

  /**
   * Ends the loop without waiting for open batches (a stop past its deadline). What is still
   * owned stays owned until releaseHeld() or expiry.
   */
  halt(): void {
    this.stopping = true;
    this.halted = true;
    this.wake?.();
  }

  /** Releases every lease still held; throws when Redis does not answer (they then expire). */
  async releaseHeld(): Promise<void> {
    const shards = this.ownedShards();
    const results = await Promise.allSettled(
      shards.map((s) => this.redis.leaseRelease(shardLayout(s).leaseKey, this.opts.workerId)),
    );
    const unreleased = shards.filter((_, i) => results[i]!.status === 'rejected');
    for (const shard of shards) if (!unreleased.includes(shard)) this.owned.delete(shard);
    this.opts.metrics?.shardsOwned.set(this.owned.size);
    if (unreleased.length > 0) {
      throw new StepIncompleteError(
        `${unreleased.length} not released (Redis not answering); they expire within LEASE_TTL_MS`,
      );
    }
  }

  private async run(): Promise<void> {
    while (!this.halted && (!this.stopping || this.owned.size > 0)) {
      await this.tick();
      // until the first connection is up, look again soon: a starting worker takes its share at once
      const pause = this.connecting() ? Math.min(this.tickMs, 50) : this.tickMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** The first connection attempt is under way (later outages show as errors in tick). */
  private connecting(): boolean {
    return (
      this.redis.status === 'wait' || this.redis.status === 'connecting' || this.redis.status === 'connect'
    );
  }

  private async tick(): Promise<void> {
    if (this.connecting()) return;
    try {
      await this.renewAll();
      const live = this.stopping ? [] : await this.heartbeat();
      await this.rebalance(this.stopping ? 0 : shareOf(this.opts.workerId, live, this.opts.shards));
      if (this.failing) this.opts.logger.info('leases: Redis calls working again');
      this.failing = false;
    } catch (err) {
      if (!this.failing)
        this.opts.logger.warn({ err }, 'leases: Redis calls failing (down, or refusing writes)');
      this.failing = true;
      this.dropExpired();
    }
    this.opts.metrics?.shardsOwned.set(this.owned.size);
  }

  /**
   * Renews every lease held. Each renewal stands alone: on a Redis Cluster one master failing
   * over must not cost the shards whose leases live on the others. A failed renewal leaves its
   * shard until its deadline (dropExpired), then the tick's failure is thrown.
   */
  private async renewAll(): Promise<void> {
    const shards = [...this.owned.keys()];
    const sentAt = performance.now();
    const results = await Promise.allSettled(
      shards.map((s) =>
        this.redis.leaseRenew(shardLayout(s).leaseKey, this.opts.workerId, this.opts.leaseTtlMs),
      ),
    );
    let failure: PromiseRejectedResult | undefined;
    for (const [i, shard] of shards.entries()) {
      const result = results[i]!;
      if (!this.owned.has(shard)) continue; // released while the renewal was on its way
      if (result.status === 'rejected') failure ??= result;
      else if (result.value === 1) this.owned.set(shard, sentAt + this.opts.leaseTtlMs);
      else this.markLost(shard, 'lease taken or expired');
    }
    if (failure) throw failure.reason;
  }

  private async heartbeat(): Promise<string[]> {
    return (await this.redis.heartbeat(MEMBERS_KEY, this.opts.workerId, this.opts.leaseTtlMs)) as string[];
  }

  /**
   * Sticky: keeps the shards it has up to its share, gives back the surplus (highest first),
   * and fills a deficit with shards nobody holds (a dead owner's, once its leases expired).
   * Only shards that must move, move.
   */
  private async rebalance(share: number): Promise<void> {
    const kept = this.ownedShards().filter((s) => !this.releasing.has(s));
    for (const shard of kept.slice(share).reverse()) this.startRelease(shard);
    let deficit = share - kept.length;
    if (deficit <= 0) return;
    const all = Array.from({ length: this.opts.shards }, (_, s) => s);
    const holders = await Promise.all(all.map((s) => this.redis.get(shardLayout(s).leaseKey)));
    // start at a place of our own, so workers short of shards do not all race for the same ones
    const offset = fnv1a32(this.opts.workerId) % this.opts.shards;
    for (let i = 0; i < this.opts.shards && deficit > 0; i++) {
      const shard = (offset + i) % this.opts.shards;
      if (holders[shard] === null && (await this.tryAcquire(shard))) deficit -= 1;
    }
  }

  private async tryAcquire(shard: number): Promise<boolean> {
    const layout = shardLayout(shard);
    const sentAt = performance.now();
    const epoch = Number(
      await this.redis.leaseAcquire(
        layout.leaseKey,
        layout.epochKey,
        this.opts.workerId,
        this.opts.leaseTtlMs,
      ),
    );
    if (epoch === 0) return false;
    this.owned.set(shard, sentAt + this.opts.leaseTtlMs);
    this.opts.logger.info({ shard, epoch }, 'shard acquired');
    this.opts.owner.acquired(shard, epoch);
    return true;
  }

  /** Flushes the shard in the background (leases keep being renewed meanwhile), then releases. */
  private startRelease(shard: number): void {
    const done = (async () => {
      try {
        await this.opts.owner.release(shard);
        if (this.owned.has(shard)) {
          await this.redis.leaseRelease(shardLayout(shard).leaseKey, this.opts.workerId);
          this.owned.delete(shard);
          this.opts.logger.info({ shard }, 'shard released');
        }
      } catch (err) {
        // the lease then expires on its own; whoever takes the shard re-delivers what is open
        this.opts.logger.warn({ err, shard }, 'shard release incomplete');
        this.owned.delete(shard);
      } finally {
        this.releasing.delete(shard);
        this.opts.metrics?.shardsOwned.set(this.owned.size);
        this.wake?.();
      }
    })();
    this.releasing.set(shard, done);
  }

  /** Redis unreachable: a lease not renewed before its deadline may be someone else's now. */
  private dropExpired(): void {
    const now = performance.now();
    for (const [shard, deadline] of this.owned) {
      if (now >= deadline) this.markLost(shard, 'lease not renewed in time');
    }
  }

  private markLost(shard: number, reason: string): void {
    this.owned.delete(shard);
    this.opts.logger.warn({ shard, reason }, 'shard lease lost');
    this.opts.owner
      .lost(shard)
      .catch((err) => this.opts.logger.warn({ err, shard }, 'stopping a lost shard failed'));
  }
}
