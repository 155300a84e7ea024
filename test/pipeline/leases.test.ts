import { waitFor } from '../helpers/wait';
import { keystems, packEvent } from './support/events';
import { PipelineHarness } from './support/harness';
import type { NodeProcess } from './support/worker-process';

const SHARDS = 16;
const TTL = 2000;

/**
 * Issue #4, test 4: three worker processes share the shards evenly; one is SIGKILLed and its
 * shards are owned again within the lease expiry plus a second; one is added and the shards
 * spread evenly again. Ownership is read from the lease keys in Redis.
 */
describe('pipeline: shard leases', () => {
  let h: PipelineHarness;

  beforeEach(async () => {
    h = await PipelineHarness.start({ SHARDS, LEASE_TTL_MS: TTL });
  });
  afterEach(() => h.close());

  async function evenlySpread(workers: NodeProcess[]): Promise<boolean> {
    const held = await h.shardsHeld(workers);
    const total = held.reduce((a, b) => a + b, 0);
    return total === SHARDS && Math.max(...held) - Math.min(...held) <= 1;
  }

  it('moves a dead worker’s shards within lease expiry + 1 s and rebalances for a new one', async () => {
    const workers = [h.startWorker('worker-a'), h.startWorker('worker-b'), h.startWorker('worker-c')];
    await waitFor(() => evenlySpread(workers), {
      timeoutMs: 20_000,
      what: 'an even split over three workers',
    });
    expect((await h.shardsHeld(workers)).sort()).toEqual([5, 5, 6]);

    const [dead, ...alive] = workers as [NodeProcess, NodeProcess, NodeProcess];
    const killedAt = Date.now();
    await dead.kill();
    // its last renewal was before the kill, so its leases expire by killedAt + TTL
    await waitFor(() => evenlySpread(alive), {
      timeoutMs: killedAt + TTL + 1000 - Date.now(),
      intervalMs: 20,
      what: 'the dead worker’s shards owned by the two others',
    }).catch((err) => {
      throw new Error(`${(err as Error).message}\n${h.outputs()}`);
    });
    expect(await h.shardsHeld(alive)).toEqual([8, 8]);

    const added = h.startWorker('worker-d');
    await waitFor(() => evenlySpread([...alive, added]), { timeoutMs: 20_000, what: 'an even split again' });
    expect((await h.shardsHeld([...alive, added])).sort()).toEqual([5, 5, 6]);
  });
});

describe('pipeline: SIGTERM', () => {
  let h: PipelineHarness;

  beforeEach(async () => {
    h = await PipelineHarness.start({ LEASE_TTL_MS: 10_000 });
  });
  afterEach(() => h.close());

  it('flushes, completes and releases before exiting 0; the other worker takes over at once', async () => {
    const ks = keystems(20);
    const [leaving, staying] = [h.startWorker('leaving'), h.startWorker('staying')];
    await waitFor(async () => (await h.shardsHeld([leaving, staying])).every((n) => n === 4), {
      timeoutMs: 20_000,
      what: 'both workers owning shards',
    });
    const events = Array.from({ length: 2000 }, (_, i) => packEvent(ks[i % ks.length]!));
    const streaming = h.stream(events, 50, 25);
    await waitFor(async () => (await h.locksHeldBy(leaving)) > 0, { intervalMs: 5, what: 'an open batch' });
    const stoppedAt = Date.now();
    expect(await leaving.stop()).toBe(0);
    expect(leaving.output()).toContain('shard released');
    expect(await h.locksHeldBy(leaving)).toBe(0);
    // released, not expired: taken over well before the 10 s lease TTL
    await waitFor(async () => (await h.shardsHeld([staying]))[0] === h.env.SHARDS, {
      timeoutMs: stoppedAt + 10_000 - Date.now(),
      what: 'the staying worker owning every shard before any lease expired',
    });
    await streaming;
    const counted = await h.settle(ks, events.length);
    for (const k of ks) expect(counted.get(k)).toBe(100);
  });
});
