import { emptyTotals, sumsOf, type SumField } from '../stats/fold';
import type { Totals } from '../stats/types';
import { setEntry, type EntryRow } from './map-entries';
import type { HourRange } from './types';

/**
 * SQLite's history rows in and out of the application (pure): the engine's sums and map
 * entries per range folded into one Totals per point.
 */

/** One range's sums as the engine computed them (`bucket` is the range's index). */
export type RangeSums = Record<SumField, number> & {
  bucket: number;
  keystems: number;
  maxLatency: number;
  maxLatencyAt: string;
  maxLatencyKeystem: string;
};

/** One range's map entry as the engine summed it. */
export type RangeEntry = EntryRow & { bucket: number };

export interface HourPoint {
  totals: Totals;
  /** keystems with traffic: the sum of all_hours' counts (right for points of one hour) */
  keystems: number;
  maxLatencyKeystem: string;
}

/** The points of the ranges in order, from the engine's sums and map entries per range. */
export function pointsOf(
  ranges: readonly HourRange[],
  sums: readonly RangeSums[],
  entries: readonly RangeEntry[],
): HourPoint[] {
  const points: HourPoint[] = ranges.map(() => ({
    totals: emptyTotals(),
    keystems: 0,
    maxLatencyKeystem: '',
  }));
  for (const row of sums) {
    const point = points[row.bucket];
    if (!point) continue;
    Object.assign(point.totals, sumsOf(row));
    point.totals.maxLatency = { latency: row.maxLatency, timeStamp: row.maxLatencyAt };
    point.keystems = row.keystems;
    point.maxLatencyKeystem = row.maxLatencyKeystem;
  }
  for (const entry of entries) {
    const point = points[entry.bucket];
    if (point) setEntry(point.totals, entry);
  }
  return points;
}
