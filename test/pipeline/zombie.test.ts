import { keystems, packEvent } from './support/events';
import { PipelineHarness } from './support/harness';

/**
 * Issue #4, test 6: a worker is paused (SIGSTOP) past its lease while another takes its shards
 * over, then resumed (SIGCONT) with its batches still open — a zombie that may commit and try
 * to complete what is no longer its own. The ledger and the job locks keep the totals exact.
 */
describe('pipeline: a paused worker comes back', () => {
  let h: PipelineHarness;

  beforeEach(async () => {
    h = await PipelineHarness.start();
  });
  afterEach(() => h.close());

  it('stays exact when a worker resumes after its shards were taken over', async () => {
    const ks = keystems(30);
    const events = Array.from({ length: 3000 }, (_, i) => packEvent(ks[i % ks.length]!));
    const [zombie, survivor] = [h.startWorker('zombie'), h.startWorker('survivor')];
    await h.waitFor(async () => (await h.shardsHeld([zombie, survivor])).every((n) => n === 4), {
      timeoutMs: 20_000,
      what: 'both workers owning shards',
    });
    const streaming = h.stream(events, 50, 50);

    await h.waitFor(async () => (await (await h.store()).getSummary()).totalRequests > 300, {
      timeoutMs: 20_000,
      what: 'traffic being counted',
    });
    // pause it while it holds jobs of an open batch
    await h.waitFor(
      async () => {
        if ((await h.locksHeldBy(zombie)) === 0) return false;
        zombie.signal('SIGSTOP');
        if ((await h.locksHeldBy(zombie)) > 0) return true;
        zombie.signal('SIGCONT');
        return false;
      },
      { timeoutMs: 20_000, intervalMs: 5, what: 'the zombie paused with an open batch' },
    );
    // its leases expire and the survivor takes every shard; its job locks expire and the
    // survivor's stalled-job check returns those jobs to the queues, to count them itself
    await h.waitFor(async () => (await h.shardsHeld([survivor]))[0] === h.env.SHARDS, {
      timeoutMs: 20_000,
      what: 'the survivor owning every shard',
    });
    await h.waitFor(async () => (await h.locksHeldBy(zombie)) === 0, {
      timeoutMs: 20_000,
      what: 'the zombie’s job locks expired',
    });
    await h.waitFor(() => survivor.output().includes('stalled jobs of a dead or paused owner returned'), {
      timeoutMs: 20_000,
      what: 'the zombie’s jobs re-delivered to the survivor',
    });
    zombie.signal('SIGCONT');
    await streaming;

    const counted = await h.settle(ks, events.length);
    for (const k of ks) expect(counted.get(k)).toBe(100);
    expect((await h.jobsLeft()).failed).toBe(0);
    await h.waitFor(() => zombie.output().includes('shard lease lost'), { what: 'the zombie noticing' });
  });
});
