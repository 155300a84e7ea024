import { emptyMaps, emptyTotals, MAP_FIELDS, sumsOf, type Maps, type SumField } from '../stats/fold';
import type { Totals } from '../stats/types';
import type { HourRange } from './types';

/**
 * SQLite's history rows in and out of the application (pure): the maps of a keystem-hour as
 * one JSON document, and a range's hourly rows folded into one Totals per point.
 */

export function parseMaps(json: string): Maps {
  const parsed = JSON.parse(json) as Partial<Maps>;
  const maps = emptyMaps();
  for (const m of MAP_FIELDS) Object.assign(maps[m], parsed[m]);
  return maps;
}

/** One range's sums as the engine computed them (`bucket` is the range's index). */
export type RangeSums = Record<SumField, number> & {
  bucket: number;
  keystems: number;
  maxLatency: number;
  maxLatencyAt: string;
  maxLatencyKeystem: string;
};

export interface HourPoint {
  totals: Totals;
  /** keystems with traffic: the sum of all_hours' counts (right for points of one hour) */
  keystems: number;
  maxLatencyKeystem: string;
}

/** `n` added to a map's entry (own keys only: a key such as "toString" is data, not a method). */
function addEntry(map: Record<string, number>, key: string, n: number): void {
  map[key] = Object.hasOwn(map, key) ? (map[key] as number) + n : n;
}

/**
 * The points of contiguous ranges in order: the engine's sums per range, and the maps of each
 * hour ([hour, JSON] rows in hour order) merged into their range — plain loops, since a year of
 * hours is 8,760 rows, read at interval=day within the 50 ms budget.
 */
export function pointsOf(
  ranges: readonly HourRange[],
  sums: readonly RangeSums[],
  hourMaps: readonly [hour: number, maps: string][],
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
  let i = 0;
  for (const [hour, json] of hourMaps) {
    while (i < ranges.length && hour >= (ranges[i] as HourRange).to) i++;
    const point = points[i];
    if (!point || hour < (ranges[i] as HourRange).from) continue;
    const maps = JSON.parse(json) as Partial<Maps>;
    for (const m of MAP_FIELDS) {
      const from = maps[m];
      if (from) for (const key of Object.keys(from)) addEntry(point.totals[m], key, from[key] as number);
    }
  }
  return points;
}
