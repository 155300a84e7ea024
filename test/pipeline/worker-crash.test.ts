import { waitFor } from '../helpers/wait';
import { keystems, packEvent } from './support/events';
import { PipelineHarness } from './support/harness';

/**
 * Issue #4, test 1: two worker processes; a worker is SIGKILLed five times mid-stream and
 * restarted. Every keystem's totals are exact: nothing lost, nothing counted twice.
 */
describe('pipeline: worker crashes', () => {
  let h: PipelineHarness;

  beforeEach(async () => {
    h = await PipelineHarness.start();
  });
  afterEach(() => h.close());

  it('counts 5,000 events exactly while a worker is killed and restarted five times', async () => {
    const ks = keystems(50);
    const workers = [h.startWorker('worker-a'), h.startWorker('worker-b')];
    let sent = 0;
    for (let round = 0; round < 5; round++) {
      // a slice of the stream, not awaited: it is in flight while a worker dies
      const slice = Array.from({ length: 1000 }, () => packEvent(ks[sent++ % ks.length]!));
      const recording = h.record(slice);
      // kill a worker once it is busy with this slice: the store shows progress
      const before = (await h.store()).getSummary().then((s) => s.totalRequests);
      const base = await before;
      await waitFor(async () => (await (await h.store()).getSummary()).totalRequests > base + 100, {
        timeoutMs: 30_000,
        what: 'the workers counting this slice',
      });
      const victim = workers[round % 2]!;
      await victim.kill();
      await recording;
      workers[round % 2] = h.startWorker(`${victim.name}'`);
    }
    const counted = await h.settle(ks, 5000);
    for (const k of ks) expect(counted.get(k)).toBe(100);
    expect((await h.jobsLeft()).failed).toBe(0);
    // the kills hit open batches: their jobs came back to the survivors
    expect(h.outputs()).toContain('stalled jobs of a dead or paused owner returned to the queue');
  });
});
