import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite';
import { packEvent } from '../helpers/stats-events';
import { describeStoreConformance, TEST_LEDGER_TTL_MS } from './conformance';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'pacproxy-sqlite-'));
}

describeStoreConformance('SQLite (temp file)', async () => {
  const dir = tempDir();
  const store = new SqliteStore({ path: path.join(dir, 'stats.db'), ledgerTtlMs: TEST_LEDGER_TTL_MS });
  await store.init();
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

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
