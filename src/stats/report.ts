import type { KeystemListRow, SummaryPointTotals } from '../store/types';
import type { KeystemTotals, MaxLatency, SummaryTotals, Totals } from './types';

/**
 * Read-time view of the stored sums, in the seed's JSON shape (field names and units kept):
 * averages are computed here, from sums, and are 0 when nothing was there to average.
 */

/**
 * The seed's fields shared by the per-keystem and the all-keystems answers, in its order.
 * `Avg` is number where the seed answers 0 for "nothing to average", number | null in history
 * points, where an empty hour's averages are null.
 */
export interface ReportBody<Avg extends number | null = number> {
  totalItems: number;
  totalVolume: number;
  avgItemsPerPack: Avg;
  avgVolumeUtilization: Avg;
  boxTypes: Record<string, number>;
  totalRequests: number;
  statusCodes: Record<string, number>;
  requestErrorCount: number;
  /** error responses received from Paccurate (the seed's name) */
  errorCount: number;
  cacheHits: number;
}

/** After maxLatency: the seed's avgLatency, then what we add. */
interface Extras extends PackingQualityReport {
  avgLatency: number;
  /** answers that carried a packing: the denominator of the per-pack averages */
  packs: number;
}

/** One box type's boxes: how many, how full on average (null: none reported one), their cost. */
export interface BoxTypeReport {
  count: number;
  avgVolumeUtilization: number | null;
  /** cents */
  totalCost: number;
}

/** Cost and packing quality (issue 13). Averages are null when their denominator is 0. */
export interface PackingQualityReport {
  /** cents, over the packs whose answer carried a totalCost */
  totalCost: number;
  costedPacks: number;
  /** cents */
  avgCostPerPack: number | null;
  totalBoxes: number;
  avgBoxesPerPack: number | null;
  totalLeftovers: number;
  packsWithLeftovers: number;
  totalWeight: number;
  /** seconds */
  avgPackTime: number | null;
  boxTypeStats: Record<string, BoxTypeReport>;
  choiceGoals: Record<string, number>;
  packsWithWarnings: number;
}

export interface KeystemReport extends ReportBody, Extras {
  usedKeystem: string;
  maxLatency: MaxLatency;
  updatedAt: string;
}

export interface SummaryReport extends ReportBody, Extras {
  maxLatency: MaxLatency & { usedKeystem: string };
  highestAvgLatency: { latency: number; usedKeystem: string };
  /** keystems with something recorded */
  keystems: number;
}

export function ratio(sum: number, count: number): number {
  return count === 0 ? 0 : sum / count;
}

/** An average that has no value when there was nothing to average. */
export function ratioOrNull(sum: number, count: number): number | null {
  return count === 0 ? null : sum / count;
}

function boxTypeStats(t: Totals): Record<string, BoxTypeReport> {
  return Object.fromEntries(
    Object.entries(t.boxTypes).map(([refId, count]) => [
      refId,
      {
        count,
        avgVolumeUtilization: ratioOrNull(
          t.boxTypeUtilizationSum[refId] ?? 0,
          t.boxTypeUtilizationCount[refId] ?? 0,
        ),
        totalCost: t.boxTypeCost[refId] ?? 0,
      },
    ]),
  );
}

export function packingQuality(t: Totals): PackingQualityReport {
  return {
    totalCost: t.totalCost,
    costedPacks: t.costedPacks,
    avgCostPerPack: ratioOrNull(t.totalCost, t.costedPacks),
    totalBoxes: t.totalBoxes,
    avgBoxesPerPack: ratioOrNull(t.totalBoxes, t.packs),
    totalLeftovers: t.totalLeftovers,
    packsWithLeftovers: t.packsWithLeftovers,
    totalWeight: t.totalWeight,
    avgPackTime: ratioOrNull(t.packTimeSum, t.packTimeCount),
    boxTypeStats: boxTypeStats(t),
    choiceGoals: t.choiceGoals,
    packsWithWarnings: t.packsWithWarnings,
  };
}

function body<Avg extends number | null>(
  t: Totals,
  average: (sum: number, count: number) => Avg,
): ReportBody<Avg> {
  return {
    totalItems: t.totalItems,
    totalVolume: t.totalVolume,
    avgItemsPerPack: average(t.totalItems, t.packs),
    avgVolumeUtilization: average(t.sumVolumeUtilization, t.packs),
    boxTypes: t.boxTypes,
    totalRequests: t.totalRequests,
    statusCodes: t.statusCodes,
    requestErrorCount: t.requestErrorCount,
    errorCount: t.errorResponseCount,
    cacheHits: t.cacheHits,
  };
}

/** `GET /api/keydata/{keystem}`. */
export function keystemReport(t: KeystemTotals): KeystemReport {
  return {
    usedKeystem: t.keystem,
    ...body(t, ratio),
    maxLatency: { latency: t.maxLatency.latency, timeStamp: t.maxLatency.timeStamp },
    avgLatency: ratio(t.latencySum, t.latencyCount),
    packs: t.packs,
    ...packingQuality(t),
    updatedAt: t.updatedAt,
  };
}

/** The max latency across keystems, with whose it was, in the seed's field order. */
function withKeystem(m: MaxLatency & { usedKeystem: string }): MaxLatency & { usedKeystem: string } {
  return { latency: m.latency, usedKeystem: m.usedKeystem, timeStamp: m.timeStamp };
}

/** `GET /api/keydata/all`. */
export function summaryReport(t: SummaryTotals): SummaryReport {
  return {
    ...body(t, ratio),
    maxLatency: withKeystem(t.maxLatency),
    avgLatency: ratio(t.latencySum, t.latencyCount),
    highestAvgLatency: t.highestAvgLatency ?? { latency: 0, usedKeystem: '' },
    packs: t.packs,
    ...packingQuality(t),
    keystems: t.keystems,
  };
}

/** One point of `GET /api/keydata/{keystem}/history`: the keydata fields of its hours. */
export interface HistoryPoint extends ReportBody<number | null>, PackingQualityReport {
  /** ISO 8601 with the zone's offset: the calendar start of the point's hour, day, week or month */
  start: string;
  maxLatency: MaxLatency;
  avgLatency: number | null;
  packs: number;
}

export interface SummaryHistoryPoint extends Omit<HistoryPoint, 'maxLatency'> {
  maxLatency: MaxLatency & { usedKeystem: string };
  /** keystems with traffic in the point's hours */
  keystems: number;
}

export function historyPoint(start: string, t: Totals): HistoryPoint {
  return {
    start,
    ...body(t, ratioOrNull),
    maxLatency: { latency: t.maxLatency.latency, timeStamp: t.maxLatency.timeStamp },
    avgLatency: ratioOrNull(t.latencySum, t.latencyCount),
    packs: t.packs,
    ...packingQuality(t),
  };
}

export function summaryHistoryPoint(start: string, t: SummaryPointTotals): SummaryHistoryPoint {
  return {
    ...historyPoint(start, t),
    maxLatency: withKeystem(t.maxLatency),
    keystems: t.keystems,
  };
}

/** One item of `GET /api/keydata` (the keystem list): a keystem at a glance. */
export interface KeystemListItem {
  usedKeystem: string;
  totalRequests: number;
  requestErrorCount: number;
  errorCount: number;
  avgVolumeUtilization: number;
  /** cents; null when no pack carried a cost */
  avgCostPerPack: number | null;
  /** nanoseconds */
  avgLatency: number;
  updatedAt: string;
}

export function keystemListItem(row: KeystemListRow): KeystemListItem {
  return {
    usedKeystem: row.keystem,
    totalRequests: row.totalRequests,
    requestErrorCount: row.requestErrorCount,
    errorCount: row.errorResponseCount,
    avgVolumeUtilization: ratio(row.sumVolumeUtilization, row.packs),
    avgCostPerPack: ratioOrNull(row.totalCost, row.costedPacks),
    avgLatency: ratio(row.latencySum, row.latencyCount),
    updatedAt: row.updatedAt,
  };
}
