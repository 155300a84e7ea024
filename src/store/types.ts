import type { SumField } from '../stats/fold';
import type { MaxLatency, StatsEvent, SummaryTotals, KeystemTotals, Totals } from '../stats/types';

/** What one `applyBatch` did, for metrics and tests. */
export interface ApplyResult {
  /** events whose effect was written (pack events counted, resets performed) */
  applied: number;
  /** events already in the ledger: re-deliveries, skipped */
  duplicates: number;
  /** pack events older than their keystem's last reset, dropped (and resets older than the last one) */
  stale: number;
}

/** The sums each item of the keystem list is computed from (read for the page's keystems only). */
export const LIST_FIELDS = [
  'totalRequests',
  'requestErrorCount',
  'errorResponseCount',
  'packs',
  'sumVolumeUtilization',
  'totalCost',
  'costedPacks',
  'latencySum',
  'latencyCount',
] as const satisfies readonly SumField[];

export type KeystemListRow = Record<(typeof LIST_FIELDS)[number], number> & {
  keystem: string;
  updatedAt: string;
};

/** What a store answers for one page of the keystem list. */
export interface KeystemPage {
  keystems: string[];
  /** pass as `after` to get the next page; null on the last page */
  next: string | null;
  /** one per keystem of the page, in the same order */
  rows: KeystemListRow[];
}

export interface PageQuery {
  limit: number;
  /** the `next` of the previous page */
  after?: string;
  /** only keystems whose name starts with this */
  prefix?: string;
}

/** The hours of one history point: hourly buckets h with from ≤ h < to (ms since the epoch). */
export interface HourRange {
  from: number;
  to: number;
}

/** One point of the all-keystems history. */
export interface SummaryPointTotals extends Totals {
  /** keystems with traffic in the point's hours */
  keystems: number;
  maxLatency: MaxLatency & { usedKeystem: string };
}

/**
 * The one narrow interface between Pacproxy and a storage engine. The pipeline writes through
 * `applyBatch`; the HTTP API reads through the rest. Backends: SQLite (default) and MongoDB.
 */
export interface StatsStore {
  /** Schema, indexes, ledger expiry. Idempotent; call once before use. */
  init(): Promise<void>;
  /**
   * Applies a batch in ONE transaction: insert the events' ids into the ledger, then apply the
   * effect of only the ids that were new, in batch order (a reset wipes the keystem and records
   * its `at`; pack events with `at` older than the keystem's last reset are dropped).
   */
  applyBatch(events: readonly StatsEvent[]): Promise<ApplyResult>;
  /** null for a keystem with nothing recorded (never seen, or reset and nothing since). */
  getKeystem(keystem: string): Promise<KeystemTotals | null>;
  /** Computed by the engine (SQL GROUP BY / aggregation pipeline), not in the application. */
  getSummary(): Promise<SummaryTotals>;
  listKeystems(page: PageQuery): Promise<KeystemPage>;
  /**
   * History: the sums of the keystem's hourly buckets in each range, one Totals per range in
   * order (zeros where nothing was recorded). The hour is the one its events were accepted in.
   */
  getKeystemHistory(keystem: string, ranges: readonly HourRange[]): Promise<Totals[]>;
  /** The same across keystems, computed by the engine, one per range in order. */
  getSummaryHistory(ranges: readonly HourRange[]): Promise<SummaryPointTotals[]>;
  /** Forgets hourly buckets older than the retention (a bounded slice per call); answers how many. */
  expireHistory(now?: number): Promise<number>;
  /**
   * The deployment's shard count (src/config/shard-count.ts): the one recorded, else records
   * `fresh` in a store that holds nothing yet, or `written` in one that holds statistics or
   * ledger entries (an earlier version's, which recorded no count), and answers it. The first of
   * several processes starting at once wins.
   */
  recordShardCount(proposal: ShardCountProposal): Promise<number>;
  /** The deployment's shard count if one is recorded, else null (nothing is recorded). */
  recordedShardCount(): Promise<number | null>;
  /** Throws when the engine does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What `recordShardCount` records when the store has no count yet. */
export interface ShardCountProposal {
  /** for a store that holds nothing yet */
  fresh: number;
  /** for a store an earlier version wrote */
  written: number;
}

/** How long the ledger remembers an applied event id; re-deliveries come within minutes. */
export const DEFAULT_LEDGER_TTL_MS = 24 * 60 * 60 * 1000;

/** How long hourly history is kept by default: 400 days, a year and its month for comparison. */
export const DEFAULT_HISTORY_RETENTION_MS = 400 * 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_BOX_TYPES_PER_KEYSTEM = 1000;

/** Options every backend takes. */
export interface StoreOptions {
  /** ledger entries older than this are forgotten (default: a day) */
  ledgerTtlMs?: number;
  /** hourly history older than this is removed (default: 400 days); 0 keeps it forever */
  historyRetentionMs?: number;
  /** the most box types a keystem keeps; new ones past it count as `(other)` (default 1,000) */
  maxBoxTypesPerKeystem?: number;
}

/** A backend whose ledger can be expired on demand (both backends; also run at init). */
export interface ExpiringLedger {
  /** Forgets ledger entries applied before `now - ledgerTtlMs`; answers how many. */
  expireLedger(now?: number): Promise<number>;
}
