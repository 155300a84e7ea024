import type { KeystemTotals, MaxLatency, SummaryTotals, Totals } from './types';

/**
 * Read-time view of the stored sums, in the seed's JSON shape (field names and units kept):
 * averages are computed here, from sums, and are 0 when nothing was there to average.
 */

/** The seed's fields shared by the per-keystem and the all-keystems answers, in its order. */
export interface ReportBody {
  totalItems: number;
  totalVolume: number;
  avgItemsPerPack: number;
  avgVolumeUtilization: number;
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

function body(t: Totals): ReportBody {
  return {
    totalItems: t.totalItems,
    totalVolume: t.totalVolume,
    avgItemsPerPack: ratio(t.totalItems, t.packs),
    avgVolumeUtilization: ratio(t.sumVolumeUtilization, t.packs),
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
    ...body(t),
    maxLatency: { latency: t.maxLatency.latency, timeStamp: t.maxLatency.timeStamp },
    avgLatency: ratio(t.latencySum, t.latencyCount),
    packs: t.packs,
    ...packingQuality(t),
    updatedAt: t.updatedAt,
  };
}

/** `GET /api/keydata/all`. */
export function summaryReport(t: SummaryTotals): SummaryReport {
  return {
    ...body(t),
    maxLatency: {
      latency: t.maxLatency.latency,
      usedKeystem: t.maxLatency.usedKeystem,
      timeStamp: t.maxLatency.timeStamp,
    },
    avgLatency: ratio(t.latencySum, t.latencyCount),
    highestAvgLatency: t.highestAvgLatency ?? { latency: 0, usedKeystem: '' },
    packs: t.packs,
    ...packingQuality(t),
    keystems: t.keystems,
  };
}
