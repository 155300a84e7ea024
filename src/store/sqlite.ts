import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  emptyMaps,
  foldBatch,
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
  DEFAULT_LEDGER_TTL_MS,
  type ApplyResult,
  type ExpiringLedger,
  type KeystemPage,
  type StatsStore,
  type StoreOptions,
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
  /** how often applyBatch also expires the ledger (default: every hour) */
  ledgerExpiryEveryMs?: number;
}

type Row = Record<SumField, number> & {
  keystem: string;
  maxLatency: number;
  maxLatencyAt: string;
  updatedAt: string;
};
type CountRow = { map: MapField; key: string; n: number };

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
  private lastExpiry = 0;

  constructor(private readonly options: SqliteStoreOptions) {
    this.ledgerTtlMs = options.ledgerTtlMs ?? DEFAULT_LEDGER_TTL_MS;
    this.ledgerExpiryEveryMs = options.ledgerExpiryEveryMs ?? 60 * 60 * 1000;
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
        if (reset !== undefined) stmts.deleteCounts.run(keystem);
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
      return { applied: fold.applied, duplicates: events.length - fresh.length, stale: fold.stale };
    });
    const result = apply.immediate();
    if (now - this.lastExpiry >= this.ledgerExpiryEveryMs) await this.expireLedger(now);
    return result;
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

  async listKeystems(page: { limit: number; after?: string }): Promise<KeystemPage> {
    const { stmts } = this.ready();
    const rows = stmts.listKeystems.all(page.after ?? '', page.limit + 1) as { keystem: string }[];
    return pageOf(
      rows.map((r) => r.keystem),
      page.limit,
    );
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
