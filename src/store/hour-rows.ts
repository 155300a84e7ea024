import { emptyTotals, SUM_FIELDS, type SumField } from '../stats/fold';
import type { Totals } from '../stats/types';
import { ENTRY_VALUE_COLUMNS, setEntryValues } from './map-entries';
import type { HourRange } from './types';

/**
 * SQLite's history rows in and out of the application (pure): the engine's sums and map
 * entries per range folded into one Totals per point. The rows come by position (the
 * statements are read raw): an object per row cost the driver more than the engine's sums did.
 */

/**
 * One range's sums as the engine computed them, in the order the statement selects them:
 * the range's index, SUM_FIELDS in order, then keystems, max latency, its timestamp and keystem.
 */
export type RangeSums = readonly unknown[];

/** One range's map entry as the engine summed it: the range's index, map, key, ENTRY_VALUE_COLUMNS. */
export type RangeEntry = readonly unknown[];

/** The names of a RangeSums row's columns, in order (the statement aliases them so). */
export const RANGE_SUMS_COLUMNS = [
  'bucket',
  ...SUM_FIELDS,
  'keystems',
  'maxLatency',
  'maxLatencyAt',
  'maxLatencyKeystem',
] as const;

/** The names of a RangeEntry row's columns, in order. */
export const RANGE_ENTRY_COLUMNS = ['bucket', 'map', 'key', ...ENTRY_VALUE_COLUMNS] as const;

const AFTER_SUMS = 1 + SUM_FIELDS.length;

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
    const point = points[row[0] as number];
    if (!point) continue;
    const { totals } = point;
    for (let i = 0; i < SUM_FIELDS.length; i++) {
      totals[SUM_FIELDS[i] as SumField] = (row[1 + i] as number | null) ?? 0;
    }
    point.keystems = row[AFTER_SUMS] as number;
    totals.maxLatency = { latency: row[AFTER_SUMS + 1] as number, timeStamp: row[AFTER_SUMS + 2] as string };
    point.maxLatencyKeystem = row[AFTER_SUMS + 3] as string;
  }
  for (const row of entries) {
    const point = points[row[0] as number];
    if (point) setEntryValues(point.totals, row[1] as string, row[2] as string, row, 3);
  }
  return points;
}
