import Database from 'better-sqlite3';
import { scrape, valueOf } from '../metrics/exposition';
import { waitFor } from '../helpers/wait';
import { keystems, packEvent } from './support/events';
import { PipelineHarness } from './support/harness';
import { freePort } from '../helpers/net';

/**
 * Issue #4, test 3: the store refuses writes for ten seconds mid-stream — for real: another
 * connection holds SQLite's write lock (BEGIN EXCLUSIVE) — and the workers back off and
 * retry the same batches. Nothing is lost, nothing doubled, no job fails.
 */
describe('pipeline: store outage', () => {
  let h: PipelineHarness;

  beforeEach(async () => {
    // leases outlive the store's 5 s busy wait, which blocks a worker's event loop
    h = await PipelineHarness.start({ LEASE_TTL_MS: 8000 });
  });
  afterEach(() => h.close());

  it('keeps every event through ten seconds of refused writes', async () => {
    const ks = keystems(20);
    const metricsPorts = [await freePort(), await freePort()];
    const workers = [
      h.startWorker('worker-a', { METRICS_PORT: String(metricsPorts[0]) }),
      h.startWorker('worker-b', { METRICS_PORT: String(metricsPorts[1]) }),
    ];
    await h.record(Array.from({ length: 1000 }, (_, i) => packEvent(ks[i % ks.length]!)));
    await waitFor(async () => (await (await h.store()).getSummary()).totalRequests > 0, {
      what: 'the first batches counted',
    });

    const blocker = new Database(h.env.SQLITE_PATH);
    blocker.exec('BEGIN EXCLUSIVE');
    const outageEnds = Date.now() + 10_000;
    let during = 0;
    try {
      // traffic goes on during the outage
      while (Date.now() < outageEnds) {
        await h.record(Array.from({ length: 100 }, (_, i) => packEvent(ks[i % ks.length]!)));
        during += 100;
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }
    await h.record(Array.from({ length: 1000 }, (_, i) => packEvent(ks[i % ks.length]!)));

    const counted = await h.settle(ks, 2000 + during);
    const expected = (2000 + during) / ks.length;
    for (const k of ks) expect(counted.get(k)).toBe(expected);
    expect((await h.jobsLeft()).failed).toBe(0);
    // both workers rode the outage out (a worker that exited says why in its output)
    expect(workers.filter((w) => !w.running()).map((w) => w.output())).toEqual([]);
    // the retries are counted on the workers' /metrics (alert PacproxyStoreFlushesFailing)
    let failures = 0;
    for (const port of metricsPorts) {
      failures += valueOf(await scrape(`http://127.0.0.1:${port}/metrics`), 'pacproxy_flush_failures_total');
    }
    expect(failures).toBeGreaterThan(0);
  });
});
