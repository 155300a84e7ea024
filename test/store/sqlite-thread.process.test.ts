import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { StoreError } from '../../src/store/errors';
import { SqliteThreadStore } from '../../src/store/sqlite-thread';
import { packEvent } from '../helpers/stats-events';
import { CAN_MOUNT_DISKS, TinyDisk } from '../helpers/tiny-disk';
import { generateEvents } from './conformance';
import { describeSqliteConformance, tempDir } from './sqlite-conformance';

// a process test: the thread runs the compiled store from dist/ (built by the global setup)

describeSqliteConformance(
  'SQLite on its own thread (temp file)',
  (options) => new SqliteThreadStore(options),
);

describe('SqliteThreadStore', () => {
  let dir: string;
  let store: SqliteThreadStore;
  let stops: number[];
  beforeEach(() => {
    dir = tempDir();
    stops = [];
    store = new SqliteThreadStore({ path: path.join(dir, 'stats.db') }, ({ exitCode }) =>
      stops.push(exitCode),
    );
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The thread itself, to end it as a crash would. */
  const threadOf = (s: SqliteThreadStore) => (s as unknown as { thread: Worker | null }).thread;

  it("keeps this thread's event loop turning while a batch commits", async () => {
    await store.init();
    let turns = 0;
    const tick = () => {
      turns++;
      timer = setImmediate(tick);
    };
    let timer = setImmediate(tick);
    const result = await store.applyBatch(generateEvents(20_000, 500));
    clearImmediate(timer);
    expect(result.applied).toBe(20_000);
    // on this thread (SqliteStore itself) the commit runs inside the call: no turn at all
    expect(turns).toBeGreaterThan(0);
  });

  it("hands back the store's own errors, code included", async () => {
    // used before init(): the thread's store says so
    const failure = await store.getSummary().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).code).toBe('PACPROXY_ERR_STORE_NOT_READY');
  });

  it('fails the calls a dead thread held, then starts a new one, opened again, for the next call', async () => {
    await store.init();
    await store.applyBatch([packEvent('a', 1)]);
    const thread = threadOf(store);
    // a large batch: still committing when the thread ends
    const held = store.applyBatch(generateEvents(20_000, 500));
    await thread!.terminate();
    await expect(held).rejects.toThrow(/thread stopped/);
    expect(stops).toEqual([1]); // terminate()'s exit code, told once
    expect((await store.getKeystem('a'))?.totalRequests).toBe(1);
    expect(threadOf(store)).not.toBe(thread);
  });

  it('refuses calls after close(), and close() finishes with the thread already gone', async () => {
    await store.init();
    const thread = threadOf(store)!;
    const terminated = thread.terminate();
    await store.close();
    await terminated;
    await expect(store.ping()).rejects.toBeInstanceOf(StoreError);
    expect(threadOf(store)).toBeNull();
  });

  it('tells nothing of the thread it ends itself at close()', async () => {
    await store.init();
    await store.close();
    expect(stops).toEqual([]);
  });
});

/** Mounting the tmpfs needs root (CI's container is). */
const withDisk = CAN_MOUNT_DISKS ? describe : describe.skip;
withDisk('SqliteThreadStore on a full disk (real tmpfs)', () => {
  it('fails a commit with SQLITE_FULL, then commits the same batch once space is freed, counted once', async () => {
    const dir = tempDir();
    const disk = (await TinyDisk.mount(dir, 4 * 1024 * 1024))!;
    const store = new SqliteThreadStore({ path: path.join(dir, 'stats.db') });
    try {
      await store.init();
      await store.applyBatch(generateEvents(100, 10));
      disk.fill();
      // larger than the space SQLite already holds (its WAL): it needs the disk
      const batch = generateEvents(20_000, 500, 2);
      const failure = await store.applyBatch(batch).catch((err: unknown) => err);
      expect(failure).toMatchObject({ code: 'SQLITE_FULL' });
      disk.free();
      expect((await store.applyBatch(batch)).applied).toBe(20_000);
      expect((await store.getSummary()).totalRequests).toBe(20_100);
    } finally {
      await store.close();
      await disk.unmount();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
