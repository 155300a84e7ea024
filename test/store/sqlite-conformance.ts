import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SqliteStoreOptions } from '../../src/store/sqlite';
import { describeStoreConformance, TEST_LEDGER_TTL_MS, type ConformanceStore } from './conformance';

/** A folder of its own for one test's database files. */
export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'pacproxy-sqlite-'));
}

/** The conformance suite against a SQLite store `open` makes, on a fresh temp file each time. */
export function describeSqliteConformance(
  name: string,
  open: (options: SqliteStoreOptions) => ConformanceStore,
): void {
  describeStoreConformance(name, async (options) => {
    const dir = tempDir();
    const store = open({ path: path.join(dir, 'stats.db'), ledgerTtlMs: TEST_LEDGER_TTL_MS, ...options });
    await store.init();
    return {
      store,
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
