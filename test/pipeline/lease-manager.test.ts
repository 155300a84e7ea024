import type { RedisClient } from '../../src/queue/redis';
import { createRedis } from '../../src/queue/redis';
import { shardLayout } from '../../src/queue/shard';
import { LeaseManager, shareOf, type ShardOwner } from '../../workers/lease-manager';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { captureLogger } from './support/log';
import { HOUR_MS, stepWallClock } from '../helpers/wall-clock';

const SHARDS = 8;
const TTL = 1000;

/** Records what the manager asked for, as a worker would see it. */
class RecordingOwner implements ShardOwner {
  readonly owned = new Map<number, number>();
  readonly lostShards: number[] = [];
  acquired(shard: number, epoch: number): void {
    this.owned.set(shard, epoch);
  }
  async release(shard: number): Promise<void> {
    this.owned.delete(shard);
  }
  async lost(shard: number): Promise<void> {
    this.owned.delete(shard);
    this.lostShards.push(shard);
  }
}

describe('shareOf', () => {
  it('splits shards evenly, the same way for every worker', () => {
    const live = ['w-b', 'w-a', 'w-c'];
    expect(live.map((id) => shareOf(id, live, 16))).toEqual([5, 6, 5]);
    expect(shareOf('w-a', ['w-a'], 16)).toBe(16);
    expect(shareOf('w-x', live, 16)).toBe(0);
  });
});

describe('LeaseManager', () => {
  let server: RedisProcess;
  const connections: RedisClient[] = [];
  const managers: LeaseManager[] = [];

  beforeAll(async () => {
    server = await RedisProcess.start();
  });
  beforeEach(async () => {
    // each test starts on an empty Redis: no lease left by another test's intruder
    const redis = createRedis(server.url, 'worker', 'test-flush', captureLogger().logger);
    await redis.flushall();
    redis.disconnect();
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.stop()));
    for (const c of connections.splice(0)) c.disconnect();
  });
  afterAll(() => server.stop());

  function manager(workerId: string, owner: ShardOwner): LeaseManager {
    const { logger } = captureLogger();
    const redis = createRedis(server.url, 'fail-fast', workerId, logger);
    connections.push(redis);
    const m = new LeaseManager({ redis, workerId, shards: SHARDS, leaseTtlMs: TTL, owner, logger });
    managers.push(m);
    m.start();
    return m;
  }

  async function leaseOwners(): Promise<Array<string | null>> {
    return Promise.all(
      Array.from({ length: SHARDS }, (_, s) => connections[0]!.get(shardLayout(s).leaseKey)),
    );
  }

  it('splits the shards, hands a leaving worker’s shards over, and bumps the epoch', async () => {
    const a = new RecordingOwner();
    const b = new RecordingOwner();
    const ma = manager('worker-a', a);
    manager('worker-b', b);
    await waitFor(() => a.owned.size === 4 && b.owned.size === 4, { what: 'an even split' });
    const owners = await leaseOwners();
    expect(owners.filter((o) => o === 'worker-a')).toHaveLength(4);
    expect(owners.filter((o) => o === 'worker-b')).toHaveLength(4);
    const fromA = owners.indexOf('worker-a');
    const epochBefore = Number(await connections[0]!.get(shardLayout(fromA).epochKey));

    await ma.stop();
    managers.splice(managers.indexOf(ma), 1);
    await waitFor(() => b.owned.size === SHARDS, { what: 'worker-b owning every shard' });
    expect(new Set(await leaseOwners())).toEqual(new Set(['worker-b']));
    expect(b.owned.get(fromA)).toBe(epochBefore + 1);
    expect(a.lostShards).toEqual([]);
  });

  it('tells the worker when its lease was taken, and takes the shard again once that lease expired', async () => {
    const a = new RecordingOwner();
    manager('worker-a', a);
    await waitFor(() => a.owned.size === SHARDS, { what: 'worker-a owning every shard' });
    // another owner's id appears in the lease (as after a pause past the TTL)
    await connections[0]!.set(shardLayout(3).leaseKey, 'intruder', 'PX', 3 * TTL);
    await waitFor(() => a.lostShards.includes(3), { what: 'shard 3 reported lost' });
    await waitFor(() => a.owned.get(3) !== undefined, {
      timeoutMs: 10_000,
      what: 'shard 3 taken again after expiry',
    });
  });

  it('handles a lost lease at once while another lost shard is still stuck stopping (a hung store write)', async () => {
    // the first shard reported lost never finishes stopping, as a consumer stuck in applyBatch
    class StuckOwner extends RecordingOwner {
      override async lost(shard: number): Promise<void> {
        const first = this.lostShards.length === 0;
        await super.lost(shard);
        if (first) await new Promise<never>(() => undefined);
      }
    }
    const a = new StuckOwner();
    const m = manager('worker-a', a);
    await waitFor(() => a.owned.size === SHARDS, { what: 'worker-a owning every shard' });
    await connections[0]!.set(shardLayout(2).leaseKey, 'intruder', 'PX', 60_000);
    await waitFor(() => a.lostShards.includes(2), { what: 'shard 2 reported lost' });
    await connections[0]!.set(shardLayout(5).leaseKey, 'intruder', 'PX', 60_000);
    await waitFor(() => a.lostShards.includes(5), { what: 'shard 5 reported lost, shard 2 still stuck' });
    expect(m.ownedShards()).not.toContain(5);
    expect(m.ownedShards()).toHaveLength(SHARDS - 2);
  });

  it('keeps the shards it can renew while the renewal of another fails (one Cluster master failing over)', async () => {
    const a = new RecordingOwner();
    manager('worker-a', a);
    await waitFor(() => a.owned.size === SHARDS, { what: 'worker-a owning every shard' });
    // shard 3's renewal now fails in Redis (WRONGTYPE), the others' still succeed
    await connections[0]!.multi().del(shardLayout(3).leaseKey).hset(shardLayout(3).leaseKey, 'x', '1').exec();
    await waitFor(() => a.lostShards.includes(3), { what: 'shard 3 dropped at its deadline' });
    await new Promise((r) => setTimeout(r, 2 * TTL));
    expect(a.lostShards).toEqual([3]);
    expect([...a.owned.keys()].sort()).toEqual([0, 1, 2, 4, 5, 6, 7]);
    for (const shard of a.owned.keys()) {
      expect(await connections[0]!.get(shardLayout(shard).leaseKey)).toBe('worker-a');
    }
  });

  it('drops a lease it cannot renew by its deadline even when the wall clock steps back', async () => {
    const a = new RecordingOwner();
    manager('worker-a', a);
    await waitFor(() => a.owned.size === SHARDS, { what: 'worker-a owning every shard' });
    // the wall clock steps back an hour: the lease's time in Redis runs on
    const clock = stepWallClock(-HOUR_MS);
    try {
      await connections[0]!
        .multi()
        .del(shardLayout(3).leaseKey)
        .hset(shardLayout(3).leaseKey, 'x', '1')
        .exec();
      await waitFor(() => a.lostShards.includes(3), {
        what: 'shard 3 dropped at its deadline',
        timeoutMs: 4 * TTL,
      });
    } finally {
      clock.restore();
    }
  });
});
