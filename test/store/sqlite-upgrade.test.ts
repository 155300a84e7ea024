import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { emptyTotals } from '../../src/stats/fold';
import { SqliteStore } from '../../src/store/sqlite';
import { packEvent } from '../helpers/stats-events';
import { PREVIOUS_VERSION_KEYSTEM } from './previous-version';

/** A database file written by the previous schema opens, keeps its totals, and counts on. */

const OLD_SCHEMA_WITH_DATA = readFileSync(path.join(__dirname, '../fixtures/sqlite-schema-v1.sql'), 'utf8');
const TEN_YEARS_MS = 10 * 365 * 24 * 3_600_000;

describe('SqliteStore upgrade from the previous schema', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pacproxy-upgrade-'));
    file = path.join(dir, 'old.db');
    const old = new Database(file);
    old.exec(OLD_SCHEMA_WITH_DATA);
    old.close();
    store = new SqliteStore({ path: file, ledgerTtlMs: TEN_YEARS_MS });
    await store.init();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every total of the old keystems, the new sums starting at zero', async () => {
    expect(await store.getKeystem('old-ks-001')).toEqual({
      ...emptyTotals(),
      keystem: 'old-ks-001',
      ...PREVIOUS_VERSION_KEYSTEM,
      updatedAt: '2025-03-25T06:00:00.000Z',
    });
    expect(await store.getKeystem('old-ks-003')).toBeNull(); // a tombstone stays one
    expect(await store.getSummary()).toMatchObject({
      keystems: 2,
      totalRequests: 6,
      totalCost: 0,
      costedPacks: 0,
      boxTypes: { '0': 36, XL: 2 },
    });
  });

  it('adds new events to the old totals, and keeps the old ledger and resets in force', async () => {
    const fresh = packEvent('old-ks-001', Date.now(), { totalCost: 240, boxes: 2 });
    const known = { ...packEvent('old-ks-001', Date.now()), eventId: '0195cbb1-0000-7000-8000-000000000001' };
    const beforeReset = packEvent('old-ks-002', 1_742_800_000_000);
    expect(await store.applyBatch([fresh, known, beforeReset])).toEqual({
      applied: 1,
      duplicates: 1,
      stale: 1,
    });
    expect(await store.getKeystem('old-ks-001')).toMatchObject({
      totalRequests: 6,
      packs: 4,
      totalCost: 240,
      costedPacks: 1,
      totalBoxes: 2,
      boxTypes: { '0': 37 },
    });
    expect((await store.getKeystem('old-ks-002'))?.totalRequests).toBe(1);
  });

  it('opens the upgraded file again without changing it', async () => {
    await store.close();
    store = new SqliteStore({ path: file, ledgerTtlMs: TEN_YEARS_MS });
    await store.init();
    expect((await store.getKeystem('old-ks-001'))?.totalRequests).toBe(5);
  });
});
