import { z } from 'zod';
import type { KeystemTotals, StatsEvent, SummaryTotals } from '../stats/types';

/** What one `applyBatch` did, for metrics and tests. */
export interface ApplyResult {
  /** events whose effect was written (pack events counted, resets performed) */
  applied: number;
  /** events already in the ledger: re-deliveries, skipped */
  duplicates: number;
  /** pack events older than their keystem's last reset, dropped (and resets older than the last one) */
  stale: number;
}

/** `GET /api/keydata`: one page of the keystems, in order. */
export const keystemPageSchema = z.object({
  keystems: z.array(z.string()).describe('keystems with something recorded, in ascending order'),
  next: z.string().nullable().describe('pass as `after` to get the next page; null on the last page'),
});
export type KeystemPage = z.infer<typeof keystemPageSchema>;

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
  listKeystems(page: { limit: number; after?: string }): Promise<KeystemPage>;
  /** Throws when the engine does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** How long the ledger remembers an applied event id; re-deliveries come within minutes. */
export const DEFAULT_LEDGER_TTL_MS = 24 * 60 * 60 * 1000;

/** Options every backend takes. */
export interface StoreOptions {
  /** ledger entries older than this are forgotten (default: a day) */
  ledgerTtlMs?: number;
}

/** A backend whose ledger can be expired on demand (both backends; also run at init). */
export interface ExpiringLedger {
  /** Forgets ledger entries applied before `now - ledgerTtlMs`; answers how many. */
  expireLedger(now?: number): Promise<number>;
}
