import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  addTotals,
  emptyTotals,
  foldBatch,
  hourOf,
  HOUR_MS,
  keystemsOf,
  sumsOf,
  type HourUpdate,
  type SumField,
} from '../stats/fold';
import type { KeystemTotals, StatsEvent, SummaryTotals, Totals } from '../stats/types';
import { notReady } from './errors';
import {
  pointsOf,
  RANGE_ENTRY_COLUMNS,
  RANGE_SUMS_COLUMNS,
  type HourPoint,
  type RangeEntry,
  type RangeSums,
} from './hour-rows';
import { entryRowsOf, mapsOfEntries, type EntryRow } from './map-entries';
import { pageOf } from './page';
import * as sql from './sqlite-sql';
import {
  DEFAULT_HISTORY_RETENTION_MS,
  DEFAULT_MAX_BOX_TYPES_PER_KEYSTEM,
  DEFAULT_LEDGER_TTL_MS,
  type ApplyResult,
  type ExpiringLedger,
  type HourRange,
  type KeystemListRow,
  type KeystemPage,
  type PageQuery,
  type ShardCountProposal,
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
const STATEMENTS = {
  addToKeystem: sql.ADD_TO_KEYSTEM,
  replaceKeystem: sql.REPLACE_KEYSTEM,
  addEntry: sql.ADD_ENTRY,
  deleteEntries: sql.DELETE_ENTRIES,
  ledgerInsert: sql.LEDGER_INSERT,
  ledgerExpire: sql.LEDGER_EXPIRE,
  resetAt: sql.RESET_AT,
  boxTypeKeys: sql.BOX_TYPE_KEYS,
  getKeystem: sql.GET_KEYSTEM,
  getEntries: sql.GET_ENTRIES,
  summarySums: sql.SUMMARY_SUMS,
  summaryEntries: sql.SUMMARY_ENTRIES,
  summaryMaxLatency: sql.SUMMARY_MAX_LATENCY,
  summaryHighestAvg: sql.SUMMARY_HIGHEST_AVG,
  listKeystems: sql.LIST_KEYSTEMS,
  hourExists: sql.HOUR_EXISTS,
  addToHour: sql.ADD_TO_HOUR,
  addToAllHour: sql.ADD_TO_ALL_HOUR,
  addHourEntry: sql.ADD_HOUR_ENTRY,
  addAllHourEntry: sql.ADD_ALL_HOUR_ENTRY,
  subtractFromAllHourEntries: sql.SUBTRACT_FROM_ALL_HOUR_ENTRIES,
  dropEmptyAllHourEntries: sql.DROP_EMPTY_ALL_HOUR_ENTRIES,
  subtractFromAllHours: sql.SUBTRACT_FROM_ALL_HOURS,
  dropEmptyAllHours: sql.DROP_EMPTY_ALL_HOURS,
  replaceAllHourMax: sql.REPLACE_ALL_HOUR_MAX,
  deleteHours: sql.DELETE_HOURS,
  deleteHourEntries: sql.DELETE_HOUR_ENTRIES,
  expireHours: sql.EXPIRE_HOURS,
  expireAllHours: sql.EXPIRE_ALL_HOURS,
  expireHourEntries: sql.EXPIRE_HOUR_ENTRIES,
  expireAllHourEntries: sql.EXPIRE_ALL_HOUR_ENTRIES,
  keystemRangeSums: sql.KEYSTEM_RANGE_SUMS,
  keystemRangeEntries: sql.KEYSTEM_RANGE_ENTRIES,
  allRangeSums: sql.ALL_RANGE_SUMS,
  allRangeEntries: sql.ALL_RANGE_ENTRIES,
  keystemsPerRange: sql.KEYSTEMS_PER_RANGE,
};

type Statements = Record<keyof typeof STATEMENTS, Database.Statement>;

/** The history reads answered raw (arrays by position: pointsOf reads them so), with their columns. */
const RAW_COLUMNS: Partial<Record<keyof typeof STATEMENTS, readonly string[]>> = {
  keystemRangeSums: RANGE_SUMS_COLUMNS,
  keystemRangeEntries: RANGE_ENTRY_COLUMNS,
  allRangeSums: RANGE_SUMS_COLUMNS,
  allRangeEntries: RANGE_ENTRY_COLUMNS,
};

/** The deployment setting that holds the shard count. */
const SHARDS_SETTING = 'shards';

/** Prepared once per connection, at init. */
function prepare(db: Database.Database): Statements {
  return Object.fromEntries(
    Object.entries(STATEMENTS).map(([name, text]) => {
      const stmt = db.prepare(text);
      const columns = RAW_COLUMNS[name as keyof typeof STATEMENTS];
      if (columns) {
        const selected = stmt.columns().map((c) => c.name);
        if (selected.join() !== columns.join()) {
          throw new Error(`${name} selects ${selected.join(', ')}: pointsOf reads ${columns.join(', ')}`);
        }
        stmt.raw();
      }
      return [name, stmt];
    }),
  ) as Statements;
}

const rangesJson = (ranges: readonly HourRange[]) => JSON.stringify(ranges.map((r) => [r.from, r.to]));

/** A delta's sums and max latency as the upserts' named parameters. */
function rowOf(delta: Totals) {
  return { ...sumsOf(delta), maxLatency: delta.maxLatency.latency, maxLatencyAt: delta.maxLatency.timeStamp };
}

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
  private readonly maxBoxTypes: number;
  private lastExpiry = 0;
  /** the last history expiry removed a whole slice: more is due at the next flush */
  private historyBacklog = false;

  constructor(private readonly options: SqliteStoreOptions) {
    this.ledgerTtlMs = options.ledgerTtlMs ?? DEFAULT_LEDGER_TTL_MS;
    this.ledgerExpiryEveryMs = options.ledgerExpiryEveryMs ?? 60 * 60 * 1000;
    this.historyRetentionMs = options.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS;
    this.historyExpirySlice = options.historyExpirySlice ?? 5000;
    this.maxBoxTypes = options.maxBoxTypesPerKeystem ?? DEFAULT_MAX_BOX_TYPES_PER_KEYSTEM;
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
      if (db.prepare(sql.HAS_KEYSTEM_COUNTS).get()) db.exec(sql.MIGRATE_KEYSTEM_COUNTS);
      for (const table of db.prepare(sql.HOUR_TABLES_WITH_MAPS).pluck().all() as string[]) {
        db.exec(sql.MIGRATE_HOUR_MAPS[table] as string);
      }
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
      const stored = new Map<string, Set<string>>();
      for (const keystem of keystemsOf(fresh)) {
        const row = stmts.resetAt.get(keystem) as { resetAt: number | null } | undefined;
        if (row?.resetAt != null) lastResets.set(keystem, row.resetAt);
        stored.set(keystem, new Set(stmts.boxTypeKeys.pluck().all(keystem) as string[]));
      }
      const fold = foldBatch(fresh, lastResets, { max: this.maxBoxTypes, stored });
      for (const [keystem, { reset, delta }] of fold.updates) {
        if (reset !== undefined) {
          stmts.deleteEntries.run(keystem);
          this.forgetHistory(keystem);
        }
        (reset === undefined ? stmts.addToKeystem : stmts.replaceKeystem).run({
          keystem,
          ...rowOf(delta),
          resetAt: reset ?? null,
          updatedAt,
        });
        for (const row of entryRowsOf(delta)) stmts.addEntry.run({ keystem, ...row });
      }
      this.addHours(fold.hours);
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
        stmts.expireAllHours.run(before, slice).changes,
        stmts.expireHourEntries.run(before, slice).changes,
        stmts.expireAllHourEntries.run(before, slice).changes,
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
        ...mapsOfEntries(stmts.getEntries.all(keystem) as EntryRow[]),
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
        ...mapsOfEntries(stmts.summaryEntries.all() as EntryRow[]),
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
    const json = rangesJson(ranges);
    return db.transaction(() =>
      pointsOf(
        ranges,
        stmts.keystemRangeSums.all(json, keystem) as RangeSums[],
        stmts.keystemRangeEntries.all(json, keystem) as RangeEntry[],
      ).map((p) => p.totals),
    )();
  }

  async getSummaryHistory(ranges: readonly HourRange[]): Promise<SummaryPointTotals[]> {
    const { db, stmts } = this.ready();
    const json = rangesJson(ranges);
    return db.transaction(() => {
      const points = pointsOf(
        ranges,
        stmts.allRangeSums.all(json) as RangeSums[],
        stmts.allRangeEntries.all(json) as RangeEntry[],
      );
      // a point of one hour has its count in its row; a longer one asks which keystems it saw
      if (ranges.some((r) => r.to - r.from > HOUR_MS)) {
        for (const p of points) p.keystems = 0;
        for (const { bucket, keystems } of stmts.keystemsPerRange.all(json) as {
          bucket: number;
          keystems: number;
        }[]) {
          (points[bucket] as HourPoint).keystems = keystems;
        }
      }
      return points.map(({ totals, keystems, maxLatencyKeystem }) => ({
        ...totals,
        keystems,
        maxLatency: { ...totals.maxLatency, usedKeystem: maxLatencyKeystem },
      }));
    })();
  }

  /**
   * A reset's history: the keystem's hours leave the all-keystems hours (entries, sums, presence,
   * and the max latency where it was theirs), then its rows go. Inside the flush transaction.
   */
  private forgetHistory(keystem: string): void {
    const { stmts } = this.ready();
    stmts.subtractFromAllHourEntries.run(keystem);
    stmts.dropEmptyAllHourEntries.run();
    stmts.subtractFromAllHours.run(keystem);
    stmts.dropEmptyAllHours.run();
    stmts.replaceAllHourMax.run({ keystem });
    stmts.deleteHours.run(keystem);
    stmts.deleteHourEntries.run(keystem);
  }

  /** A flush's keystem-hours, then the same summed per hour into the all-keystems hours. */
  private addHours(hours: readonly HourUpdate[]): void {
    const { stmts } = this.ready();
    const perHour = new Map<number, { delta: Totals; keystems: number; maxLatencyKeystem: string }>();
    for (const { keystem, hour, delta } of hours) {
      const known = stmts.hourExists.get(keystem, hour) !== undefined;
      stmts.addToHour.run({ keystem, hour, ...rowOf(delta) });
      for (const row of entryRowsOf(delta)) stmts.addHourEntry.run({ keystem, hour, ...row });
      let all = perHour.get(hour);
      if (!all) perHour.set(hour, (all = { delta: emptyTotals(), keystems: 0, maxLatencyKeystem: '' }));
      if (addTotals(all.delta, delta)) all.maxLatencyKeystem = keystem;
      if (!known) all.keystems += 1;
    }
    for (const [hour, { delta, keystems, maxLatencyKeystem }] of perHour) {
      stmts.addToAllHour.run({ hour, ...rowOf(delta), keystems, maxLatencyKeystem });
      for (const row of entryRowsOf(delta)) stmts.addAllHourEntry.run({ hour, ...row });
    }
  }

  async recordedShardCount(): Promise<number | null> {
    return this.readShardCount();
  }

  async recordShardCount(proposal: ShardCountProposal): Promise<number> {
    const { db } = this.ready();
    // IMMEDIATE: of processes starting together on one file, one reads and records at a time
    return db
      .transaction((): number => {
        const recorded = this.readShardCount();
        if (recorded !== null) return recorded;
        const holds = db.prepare(sql.HOLDS_DATA).pluck().get() === 1;
        const count = holds ? proposal.written : proposal.fresh;
        db.prepare(sql.RECORD_DEPLOYMENT_SETTING).run(SHARDS_SETTING, String(count));
        return count;
      })
      .immediate();
  }

  private readShardCount(): number | null {
    const recorded = this.ready().db.prepare(sql.DEPLOYMENT_SETTING).pluck().get(SHARDS_SETTING);
    return recorded === undefined ? null : Number(recorded);
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
