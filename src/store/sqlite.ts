import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  emptyMaps,
  emptyTotals,
  foldBatch,
  hourOf,
  keystemsOf,
  MAP_FIELDS,
  sumsOf,
  type MapField,
  type SumField,
} from '../stats/fold';
import type { KeystemTotals, StatsEvent, SummaryTotals, Totals } from '../stats/types';
import { notReady } from './errors';
import { pageOf } from './page';
import * as sql from './sqlite-sql';
import {
  DEFAULT_HISTORY_RETENTION_MS,
  DEFAULT_LEDGER_TTL_MS,
  type ApplyResult,
  type ExpiringLedger,
  type HourRange,
  type KeystemListRow,
  type KeystemPage,
  type PageQuery,
  type StatsStore,
  type StoreOptions,
  type SummaryPointTotals,
} from './types';

export interface SqliteStoreOptions extends StoreOptions {
  /** the database file (its folder is created), or ':memory:' */
  path: string;
  /**
   * how long a connection waits for another process's write lock before failing (default
   * 250 ms). The wait blocks the event loop (lease renewals, and the proxy in `npm start`), so
   * it is short: the shard consumer retries a failed batch with back-off instead.
   */
  busyTimeoutMs?: number;
  /** how often applyBatch also expires the ledger and old history (default: every hour) */
  ledgerExpiryEveryMs?: number;
  /** history rows removed per table per expiry slice (default 5,000): a flush waits at most one slice */
  historyExpirySlice?: number;
}

type Row = Record<SumField, number> & {
  keystem: string;
  maxLatency: number;
  maxLatencyAt: string;
  updatedAt: string;
};
type CountRow = { map: MapField; key: string; n: number };
type BucketSums = Record<SumField, number> & {
  bucket: number;
  keystems: number;
  maxLatency: number;
  maxLatencyAt: string;
  maxLatencyKeystem: string;
};
type BucketCount = CountRow & { bucket: number };

const STATEMENTS = {
  addToKeystem: sql.ADD_TO_KEYSTEM,
  replaceKeystem: sql.REPLACE_KEYSTEM,
  addCount: sql.ADD_COUNT,
  deleteCounts: sql.DELETE_COUNTS,
  ledgerInsert: sql.LEDGER_INSERT,
  ledgerExpire: sql.LEDGER_EXPIRE,
  resetAt: sql.RESET_AT,
  getKeystem: sql.GET_KEYSTEM,
  getCounts: sql.GET_COUNTS,
  summarySums: sql.SUMMARY_SUMS,
  summaryCounts: sql.SUMMARY_COUNTS,
  summaryMaxLatency: sql.SUMMARY_MAX_LATENCY,
  summaryHighestAvg: sql.SUMMARY_HIGHEST_AVG,
  listKeystems: sql.LIST_KEYSTEMS,
  addToHour: sql.ADD_TO_HOUR,
  addHourCount: sql.ADD_HOUR_COUNT,
  addAllHourCount: sql.ADD_ALL_HOUR_COUNT,
  subtractFromAllHours: sql.SUBTRACT_FROM_ALL_HOURS,
  dropEmptyAllHours: sql.DROP_EMPTY_ALL_HOURS,
  deleteHourCounts: sql.DELETE_HOUR_COUNTS,
  deleteHours: sql.DELETE_HOURS,
  expireHours: sql.EXPIRE_HOURS,
  expireHourCounts: sql.EXPIRE_HOUR_COUNTS,
  expireAllHourCounts: sql.EXPIRE_ALL_HOUR_COUNTS,
  keystemHistorySums: sql.KEYSTEM_HISTORY_SUMS,
  keystemHistoryCounts: sql.KEYSTEM_HISTORY_COUNTS,
  allHistorySums: sql.ALL_HISTORY_SUMS,
  allHistoryCounts: sql.ALL_HISTORY_COUNTS,
};

type Statements = Record<keyof typeof STATEMENTS, Database.Statement>;

/** Prepared once per connection, at init. */
function prepare(db: Database.Database): Statements {
  return Object.fromEntries(
    Object.entries(STATEMENTS).map(([name, text]) => [name, db.prepare(text)]),
  ) as Statements;
}

function mapsOf(rows: readonly CountRow[]): Pick<Totals, MapField> {
  const maps = emptyMaps();
  for (const { map, key, n } of rows) maps[map][key] = n;
  return maps;
}

/** History rows (sums and counts per bucket index) as one Totals per range, zeros where none. */
function pointsOf<P extends Totals>(
  ranges: readonly HourRange[],
  sums: readonly BucketSums[],
  counts: readonly BucketCount[],
  point: (t: Totals, row: BucketSums | undefined) => P,
): P[] {
  const totals = ranges.map(() => emptyTotals());
  const rows = new Map(sums.map((r) => [Number(r.bucket), r]));
  for (const [i, row] of rows) {
    Object.assign(totals[i] as Totals, sumsOf(row));
    (totals[i] as Totals).maxLatency = { latency: row.maxLatency, timeStamp: row.maxLatencyAt };
  }
  for (const { bucket, map, key, n } of counts) (totals[Number(bucket)] as Totals)[map][key] = n;
  return totals.map((t, i) => point(t, rows.get(i)));
}

const bucketsJson = (ranges: readonly HourRange[]) => JSON.stringify(ranges.map((r) => [r.from, r.to]));

/**
 * The embedded default: one SQLite file, shared safely by several worker processes.
 * WAL lets readers run beside the one writer; busy_timeout makes a writer wait for the lock
 * instead of failing; every batch is a `BEGIN IMMEDIATE` transaction (the write lock is taken
 * up front, so no read-then-upgrade deadlock). synchronous=FULL: a commit is on disk before
 * applyBatch returns, because the worker acknowledges the batch's jobs right after, and a
 * commit lost to a power cut after that would lose accepted events (NORMAL may lose the last
 * commits in WAL mode). The cost is one fsync per batch, not per event.
 */
export class SqliteStore implements StatsStore, ExpiringLedger {
  private db: Database.Database | null = null;
  private stmts: Statements | null = null;
  private readonly ledgerTtlMs: number;
  private readonly ledgerExpiryEveryMs: number;
  private readonly historyRetentionMs: number;
  private readonly historyExpirySlice: number;
  private lastExpiry = 0;
  /** the last history expiry removed a whole slice: more is due at the next flush */
  private historyBacklog = false;

  constructor(private readonly options: SqliteStoreOptions) {
    this.ledgerTtlMs = options.ledgerTtlMs ?? DEFAULT_LEDGER_TTL_MS;
    this.ledgerExpiryEveryMs = options.ledgerExpiryEveryMs ?? 60 * 60 * 1000;
    this.historyRetentionMs = options.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS;
    this.historyExpirySlice = options.historyExpirySlice ?? 5000;
  }

  async init(): Promise<void> {
    if (this.db) return;
    if (this.options.path !== ':memory:')
      mkdirSync(path.dirname(path.resolve(this.options.path)), { recursive: true });
    const db = new Database(this.options.path);
    db.pragma(`busy_timeout = ${this.options.busyTimeoutMs ?? 250}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.transaction(() => {
      db.exec(sql.SCHEMA);
      const existing = db.prepare(sql.KEYSTEM_COLUMNS).pluck().all() as string[];
      for (const statement of sql.addMissingColumns(new Set(existing))) db.exec(statement);
    }).immediate();
    this.db = db;
    this.stmts = prepare(db);
    await this.expireLedger();
  }

  async applyBatch(events: readonly StatsEvent[]): Promise<ApplyResult> {
    const { db, stmts } = this.ready();
    const now = Date.now();
    const updatedAt = new Date(now).toISOString();
    const apply = db.transaction((): ApplyResult => {
      const fresh = events.filter((e) => stmts.ledgerInsert.run(e.eventId, now).changes === 1);
      const lastResets = new Map<string, number>();
      for (const keystem of keystemsOf(fresh)) {
        const row = stmts.resetAt.get(keystem) as { resetAt: number | null } | undefined;
        if (row?.resetAt != null) lastResets.set(keystem, row.resetAt);
      }
      const fold = foldBatch(fresh, lastResets);
      for (const [keystem, { reset, delta }] of fold.updates) {
        if (reset !== undefined) {
          stmts.deleteCounts.run(keystem);
          // the history goes too: out of the all-keystems maps first, then the keystem's rows
          stmts.subtractFromAllHours.run(keystem);
          stmts.dropEmptyAllHours.run(keystem);
          stmts.deleteHourCounts.run(keystem);
          stmts.deleteHours.run(keystem);
        }
        (reset === undefined ? stmts.addToKeystem : stmts.replaceKeystem).run({
          keystem,
          ...sumsOf(delta),
          maxLatency: delta.maxLatency.latency,
          maxLatencyAt: delta.maxLatency.timeStamp,
          resetAt: reset ?? null,
          updatedAt,
        });
        for (const map of MAP_FIELDS) {
          for (const [key, n] of Object.entries(delta[map])) stmts.addCount.run(keystem, map, key, n);
        }
      }
      for (const { keystem, hour, delta } of fold.hours) {
        stmts.addToHour.run({
          keystem,
          hour,
          ...sumsOf(delta),
          maxLatency: delta.maxLatency.latency,
          maxLatencyAt: delta.maxLatency.timeStamp,
        });
        for (const map of MAP_FIELDS) {
          for (const [key, n] of Object.entries(delta[map])) {
            stmts.addHourCount.run(keystem, hour, map, key, n);
            stmts.addAllHourCount.run(hour, map, key, n);
          }
        }
      }
      return { applied: fold.applied, duplicates: events.length - fresh.length, stale: fold.stale };
    });
    const result = apply.immediate();
    if (now - this.lastExpiry >= this.ledgerExpiryEveryMs || this.historyBacklog) {
      await this.expireLedger(now);
      await this.expireHistory(now);
    }
    return result;
  }

  async expireHistory(now = Date.now()): Promise<number> {
    const { db, stmts } = this.ready();
    if (this.historyRetentionMs <= 0) return 0;
    const before = hourOf(now - this.historyRetentionMs);
    const slice = this.historyExpirySlice;
    const removed = db
      .transaction(() => [
        stmts.expireHours.run(before, slice).changes,
        stmts.expireHourCounts.run(before, slice).changes,
        stmts.expireAllHourCounts.run(before, slice).changes,
      ])
      .immediate();
    this.historyBacklog = removed.some((n) => n === slice);
    return removed.reduce((a, b) => a + b, 0);
  }

  async expireLedger(now = Date.now()): Promise<number> {
    const { stmts } = this.ready();
    this.lastExpiry = now;
    return stmts.ledgerExpire.run(now - this.ledgerTtlMs).changes;
  }

  async getKeystem(keystem: string): Promise<KeystemTotals | null> {
    const { db, stmts } = this.ready();
    return db.transaction(() => {
      const row = stmts.getKeystem.get(keystem) as Row | undefined;
      if (!row) return null;
      return {
        keystem,
        ...sumsOf(row),
        ...mapsOf(stmts.getCounts.all(keystem) as CountRow[]),
        maxLatency: { latency: row.maxLatency, timeStamp: row.maxLatencyAt },
        updatedAt: row.updatedAt,
      };
    })();
  }

  async getSummary(): Promise<SummaryTotals> {
    const { db, stmts } = this.ready();
    return db.transaction((): SummaryTotals => {
      const sums = stmts.summarySums.get() as Record<SumField, number> & { keystems: number };
      const max = stmts.summaryMaxLatency.get() as
        { keystem: string; latency: number; timeStamp: string } | undefined;
      const avg = stmts.summaryHighestAvg.get() as { keystem: string; latency: number } | undefined;
      return {
        keystems: sums.keystems,
        ...sumsOf(sums),
        ...mapsOf(stmts.summaryCounts.all() as CountRow[]),
        maxLatency: max
          ? { latency: max.latency, timeStamp: max.timeStamp, usedKeystem: max.keystem }
          : { latency: 0, timeStamp: '', usedKeystem: '' },
        highestAvgLatency: avg ? { latency: avg.latency, usedKeystem: avg.keystem } : null,
      };
    })();
  }

  async listKeystems(page: PageQuery): Promise<KeystemPage> {
    const { stmts } = this.ready();
    const rows = stmts.listKeystems.all({
      after: page.after ?? '',
      prefix: page.prefix ?? '',
      limit: page.limit + 1,
    }) as KeystemListRow[];
    return pageOf(rows, page.limit);
  }

  async getKeystemHistory(keystem: string, ranges: readonly HourRange[]): Promise<Totals[]> {
    const { db, stmts } = this.ready();
    const buckets = bucketsJson(ranges);
    return db.transaction(() =>
      pointsOf(
        ranges,
        stmts.keystemHistorySums.all(buckets, keystem) as BucketSums[],
        stmts.keystemHistoryCounts.all(buckets, keystem) as BucketCount[],
        (t) => t,
      ),
    )();
  }

  async getSummaryHistory(ranges: readonly HourRange[]): Promise<SummaryPointTotals[]> {
    const { db, stmts } = this.ready();
    const buckets = bucketsJson(ranges);
    return db.transaction(() =>
      pointsOf(
        ranges,
        stmts.allHistorySums.all(buckets) as BucketSums[],
        stmts.allHistoryCounts.all(buckets) as BucketCount[],
        (t, row) => ({
          ...t,
          keystems: row?.keystems ?? 0,
          maxLatency: { ...t.maxLatency, usedKeystem: row?.maxLatencyKeystem ?? '' },
        }),
      ),
    )();
  }

  async ping(): Promise<void> {
    this.ready().db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
    this.stmts = null;
  }

  private ready() {
    if (!this.db || !this.stmts) throw notReady();
    return { db: this.db, stmts: this.stmts };
  }
}
