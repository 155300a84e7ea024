import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { scrape, valueOf } from '../metrics/exposition';
import { freePort } from '../helpers/net';
import { CAN_MOUNT_DISKS, TinyDisk } from '../helpers/tiny-disk';
import { keystems, packEvent } from './support/events';
import { PipelineHarness } from './support/harness';

/**
 * A disk of the pipeline fills up mid-stream, for real (a tmpfs filled to the last byte), under
 * one worker process and the proxy's producer; traffic goes on through it, then space is freed.
 * Every event is counted exactly once, no job fails, the worker never stops. Mounting the tmpfs
 * needs root (CI's container is).
 */
const withDisk = CAN_MOUNT_DISKS ? describe : describe.skip;
withDisk('pipeline: a disk filled to the last byte', () => {
  const ks = keystems(20);
  const batch = (n: number) => Array.from({ length: n }, (_, i) => packEvent(ks[i % ks.length]!));
  let diskDir: string;
  let disk: TinyDisk;
  let h: PipelineHarness;
  let metricsPort: number;
  let recorded: number;

  beforeEach(async () => {
    diskDir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-disk-'));
    disk = (await TinyDisk.mount(diskDir, 16 * 1024 * 1024))!;
    metricsPort = await freePort();
    recorded = 0;
  });
  afterEach(async () => {
    await h.close();
    await disk.unmount();
    rmSync(diskDir, { recursive: true, force: true });
  });

  /** The harness (its store or its Redis on the disk), a worker, and the first events counted. */
  const start = async (...args: Parameters<typeof PipelineHarness.start>) => {
    h = await PipelineHarness.start(...args);
    const worker = h.startWorker('worker', { METRICS_PORT: String(metricsPort) });
    await record(500);
    await h.waitFor(async () => (await (await h.store()).getSummary()).totalRequests > 0, {
      what: 'the first batches counted',
    });
    return worker;
  };
  const record = async (n: number) => {
    await h.record(batch(n));
    recorded += n;
  };
  /** Records slices of traffic until `enough()` (bounded: the failure must come). */
  const trafficUntil = (enough: () => Promise<boolean>, what: string) =>
    h.waitFor(
      async () => {
        if (await enough()) return true;
        await record(100);
        return false;
      },
      { timeoutMs: 40_000, intervalMs: 100, what: `${what} on the full disk` },
    );
  /** Frees the disk, records more, and checks that every event was counted once. */
  const freeAndSettle = async () => {
    disk.free();
    await record(500);
    const counted = await h.settle(ks, recorded);
    for (const k of ks) expect(counted.get(k)).toBe(recorded / ks.length);
    expect((await h.jobsLeft()).failed).toBe(0);
  };
  const metric = async (name: string) =>
    valueOf(await scrape(`http://127.0.0.1:${metricsPort}/metrics`), name);
  const readiness = async () => {
    const res = await request(`http://127.0.0.1:${metricsPort}/readyz`);
    return { status: res.statusCode, body: (await res.body.json()) as { Message?: string; Code?: string } };
  };

  it('under the SQLite file: commits fail (SQLITE_FULL) and are retried, the worker says it is unready', async () => {
    const worker = await start({ SQLITE_PATH: path.join(diskDir, 'stats.db') });
    disk.fill();
    // SQLite first writes into space it already holds (the WAL it reuses after a checkpoint)
    await trafficUntil(async () => (await metric('pacproxy_flush_failures_total')) > 0, 'a failed commit');
    // its /readyz, which a load balancer or orchestrator reads, says why
    let unready: Awaited<ReturnType<typeof readiness>> | null = null;
    await trafficUntil(async () => {
      const state = await readiness();
      if (state.status !== 200) unready = state;
      return unready !== null;
    }, 'an unready worker');
    expect(unready).toEqual({
      status: 503,
      body: { Message: expect.stringMatching(/disk is full/), Code: 'PACPROXY_ERR_STORE_UNAVAILABLE' },
    });

    await freeAndSettle();
    expect(worker.running()).toBe(true);
    expect((await readiness()).status).toBe(200);
  });

  it("under Redis's append-only file: Redis refuses writes (MISCONF), events go to the outbox, Redis recovers by itself", async () => {
    const worker = await start({}, ['--dir', diskDir]);
    disk.fill();
    await trafficUntil(async () => !h.outbox.isEmpty(), 'an event accepted into the outbox');
    for (let i = 0; i < 10; i++) await record(100);

    await freeAndSettle();
    expect(worker.running()).toBe(true);
    // the worker's takes were refused meanwhile, and counted (alert PacproxyJobFetchesFailing)
    expect(await metric('pacproxy_fetch_failures_total')).toBeGreaterThan(0);
  });
});
