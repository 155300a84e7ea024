import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { parseExposition, valueOf } from '../metrics/exposition';
import { freePort } from '../helpers/net';
import { TinyDisk } from '../helpers/tiny-disk';
import { keystems, packEvent } from './support/events';
import { PipelineHarness } from './support/harness';

/**
 * The disk under the SQLite store fills up mid-stream, for real (a tmpfs filled to the last
 * byte): the worker's commits fail with SQLITE_FULL, are counted as flush failures and retried
 * with back-off; once space is freed every event is counted exactly once, and the worker never
 * stopped. Mounting the tmpfs needs root (CI's container is).
 */
const withDisk = process.getuid?.() === 0 ? describe : describe.skip;
withDisk('pipeline: the store disk full', () => {
  let diskDir: string;
  let disk: TinyDisk;
  let h: PipelineHarness;

  beforeEach(async () => {
    diskDir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-store-disk-'));
    disk = (await TinyDisk.mount(diskDir, 16 * 1024 * 1024))!;
    h = await PipelineHarness.start({ SQLITE_PATH: path.join(diskDir, 'stats.db') });
  });
  afterEach(async () => {
    await h.close();
    await disk.unmount();
    rmSync(diskDir, { recursive: true, force: true });
  });

  it('keeps every event through a full disk under the SQLite file', async () => {
    const ks = keystems(20);
    const batch = (n: number) => Array.from({ length: n }, (_, i) => packEvent(ks[i % ks.length]!));
    const metricsPort = await freePort();
    const worker = h.startWorker('worker', { METRICS_PORT: String(metricsPort) });
    const flushFailures = async () => {
      const res = await request(`http://127.0.0.1:${metricsPort}/metrics`);
      return valueOf(parseExposition(await res.body.text()), 'pacproxy_flush_failures_total');
    };
    const readiness = async () => {
      const res = await request(`http://127.0.0.1:${metricsPort}/readyz`);
      return { status: res.statusCode, body: (await res.body.json()) as { Message?: string } };
    };

    await h.record(batch(500));
    let recorded = 500;
    await h.waitFor(async () => (await (await h.store()).getSummary()).totalRequests > 0, {
      what: 'the first batches counted',
    });

    disk.fill();
    // traffic goes on while the disk is full, until the worker's writes have failed a while
    // (SQLite writes into space it already holds first: the WAL it reuses after a checkpoint)
    let failedSince: number | null = null;
    let unready: { status: number; body: { Message?: string } } | null = null;
    const giveUp = Date.now() + 40_000;
    while (failedSince === null || Date.now() - failedSince < 2000) {
      if (Date.now() > giveUp) throw new Error(`no store write failed on the full disk\n${h.outputs()}`);
      await h.record(batch(200));
      recorded += 200;
      if (failedSince === null && (await flushFailures()) > 0) failedSince = Date.now();
      if (failedSince !== null && unready === null) {
        const state = await readiness();
        if (state.status !== 200) unready = state;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // the worker said why it was not ready (its /readyz: a load balancer or orchestrator reads it)
    expect(unready).toEqual({ status: 503, body: { Message: expect.stringMatching(/disk is full/) } });

    disk.free();
    await h.record(batch(500));
    recorded += 500;

    const counted = await h.settle(ks, recorded);
    for (const k of ks) expect(counted.get(k)).toBe(recorded / ks.length);
    expect((await h.jobsLeft()).failed).toBe(0);
    expect(worker.running()).toBe(true);
    expect((await readiness()).status).toBe(200);
  });
});
