import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { emptyTotals } from '../../src/stats/fold';
import { SqliteStore } from '../../src/store/sqlite';
import { packEvent, resetEvent } from '../helpers/stats-events';
import { PREVIOUS_VERSION_KEYSTEM } from './previous-version';

/** A database file written by the previous schema opens, keeps its totals, and counts on. */

const OLD_SCHEMA_WITH_DATA = readFileSync(path.join(__dirname, '../fixtures/sqlite-schema-v1.sql'), 'utf8');
const TEN_YEARS_MS = 10 * 365 * 24 * 3_600_000;

/** A temp folder with a database file made from `sqlText`: an earlier version's schema and rows. */
function oldFile(sqlText: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pacproxy-upgrade-'));
  const file = path.join(dir, 'old.db');
  const old = new Database(file);
  old.exec(sqlText);
  old.close();
  return { dir, file };
}

/** The store over such a file, keeping its ledger and its hours however old they are. */
async function openStore(file: string): Promise<SqliteStore> {
  const store = new SqliteStore({ path: file, ledgerTtlMs: TEN_YEARS_MS, historyRetentionMs: 0 });
  await store.init();
  return store;
}

describe('SqliteStore upgrade from the previous schema', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;

  beforeEach(async () => {
    ({ dir, file } = oldFile(OLD_SCHEMA_WITH_DATA));
    store = await openStore(file);
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

  it('takes the file for a deployment of 16 shards, the default of the version that wrote it', async () => {
    expect(await store.recordShardCount({ fresh: 4, written: 16 })).toBe(16);
  });

  it('opens the upgraded file again without changing it', async () => {
    await store.close();
    store = await openStore(file);
    expect((await store.getKeystem('old-ks-001'))?.totalRequests).toBe(5);
  });
});

/**
 * A file written by the version with hourly history and the box-type maps in rows of their own
 * (test/fixtures/sqlite-schema-v2.sql, made by that code): every total, map entry and hour it
 * answered (sqlite-schema-v2.answers.json) is answered the same after the upgrade.
 */
const V2_SCHEMA_WITH_DATA = readFileSync(path.join(__dirname, '../fixtures/sqlite-schema-v2.sql'), 'utf8');
const V2_ANSWERS = JSON.parse(
  readFileSync(path.join(__dirname, '../fixtures/sqlite-schema-v2.answers.json'), 'utf8'),
) as Record<string, unknown> & { keystems: Record<string, unknown> };
const H1 = Date.UTC(2025, 2, 25, 5);
const HOUR = 3_600_000;
const V2_RANGES = [
  { from: H1 - HOUR, to: H1 },
  { from: H1, to: H1 + HOUR },
  { from: H1 + HOUR, to: H1 + 2 * HOUR },
];

describe('SqliteStore upgrade from the schema with map-entry rows per map', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;

  const answers = async () => ({
    keystems: Object.fromEntries(
      await Promise.all(Object.keys(V2_ANSWERS.keystems).map(async (k) => [k, await store.getKeystem(k)])),
    ),
    summary: await store.getSummary(),
    history: {
      'v2-ks-001': await store.getKeystemHistory('v2-ks-001', V2_RANGES),
      'v2-ks-002': await store.getKeystemHistory('v2-ks-002', V2_RANGES),
    },
    summaryHours: await store.getSummaryHistory(V2_RANGES),
    summaryTwoHours: await store.getSummaryHistory([{ from: H1, to: H1 + 2 * HOUR }]),
  });

  beforeEach(async () => {
    ({ dir, file } = oldFile(V2_SCHEMA_WITH_DATA));
    store = await openStore(file);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every total, map entry and hour as the old code did, again after reopening', async () => {
    expect(await answers()).toEqual(V2_ANSWERS);
    await store.close();
    store = await openStore(file);
    expect(await answers()).toEqual(V2_ANSWERS);
  });

  it('counts on into the migrated rows, and a reset still forgets the old entries', async () => {
    const known = { ...packEvent('v2-ks-001', H1), eventId: '0195cbb1-0000-7000-8000-000000000001' };
    const more = packEvent('v2-ks-002', H1 + HOUR + 1, {
      boxTypes: { '0': 1 },
      boxTypeStats: {
        'S-only-in-stats': { volumeUtilizationSum: 0.5, volumeUtilizationCount: 1, totalCost: 70 },
      },
    });
    expect(await store.applyBatch([known, more])).toEqual({ applied: 1, duplicates: 1, stale: 0 });
    const old = V2_ANSWERS.keystems['v2-ks-002'] as Record<string, Record<string, number>>;
    expect(await store.getKeystem('v2-ks-002')).toMatchObject({
      boxTypes: { ...old.boxTypes, '0': (old.boxTypes?.['0'] ?? 0) + 1 },
      boxTypeCost: { ...old.boxTypeCost, 'S-only-in-stats': 70 },
      boxTypeUtilizationCount: { ...old.boxTypeUtilizationCount, 'S-only-in-stats': 2 },
    });
    expect((await store.getKeystem('v2-ks-002'))?.boxTypes).not.toHaveProperty('S-only-in-stats');
    await store.applyBatch([resetEvent('v2-ks-001', Date.now())]);
    expect(await store.getKeystem('v2-ks-001')).toBeNull();
    expect((await store.getSummary()).statusCodes).not.toHaveProperty('500');
  });
});
