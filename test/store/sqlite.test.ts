import path from 'node:path';
import { rmSync } from 'node:fs';
import { SqliteStore } from '../../src/store/sqlite';
import { packEvent } from '../helpers/stats-events';
import { describeSqliteConformance, tempDir } from './sqlite-conformance';

describeSqliteConformance('SQLite (temp file)', (options) => new SqliteStore(options));

describe('SqliteStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the folder of its file, and keeps data and ledger across a reopen', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'stats.db');
    const first = new SqliteStore({ path: file });
    await first.init();
    const batch = [packEvent('a', 1), packEvent('a', 2)];
    await first.applyBatch(batch);
    await first.close();

    const second = new SqliteStore({ path: file });
    await second.init();
    expect((await second.getKeystem('a'))?.totalRequests).toBe(2);
    expect(await second.applyBatch(batch)).toEqual({ applied: 0, duplicates: 2, stale: 0 });
    await second.close();
  });

  it('refuses to be used before init and after close', async () => {
    const store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await expect(store.getSummary()).rejects.toMatchObject({ code: 'PACPROXY_ERR_STORE_NOT_READY' });
    await store.init();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'PACPROXY_ERR_STORE_NOT_READY' });
  });
});

describe('SqliteStore history retention', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;

  it('deletes old hours a bounded slice at a time, each flush taking the next slice', async () => {
    const store = new SqliteStore({
      path: path.join(dir, 'stats.db'),
      historyRetentionMs: 10 * DAY,
      historyExpirySlice: 4,
      ledgerExpiryEveryMs: 0, // every flush runs the expiry
    });
    await store.init();
    const now = Date.now();
    const old = Array.from({ length: 10 }, (_, i) =>
      packEvent('a', now - 20 * DAY + i * HOUR, { boxTypes: {} }),
    );
    await store.applyBatch(old);
    const range = [{ from: now - 30 * DAY, to: now + HOUR }];
    // that flush already expired one slice of each table; each later one takes the next
    const requestsLeft = async () => (await store.getKeystemHistory('a', range))[0]?.totalRequests;
    expect(await requestsLeft()).toBeLessThan(10);
    await store.applyBatch([packEvent('a', now)]);
    await store.applyBatch([packEvent('a', now)]);
    expect(await requestsLeft()).toBe(2);
    expect((await store.getKeystem('a'))?.totalRequests).toBe(12);
    await store.close();
  });

  it('keeps history forever with a retention of 0', async () => {
    const store = new SqliteStore({ path: path.join(dir, 'stats.db'), historyRetentionMs: 0 });
    await store.init();
    const long = Date.UTC(2001, 0, 1);
    await store.applyBatch([packEvent('a', long)]);
    expect(await store.expireHistory()).toBe(0);
    expect((await store.getKeystemHistory('a', [{ from: long, to: long + HOUR }]))[0]?.totalRequests).toBe(1);
    await store.close();
  });
});
