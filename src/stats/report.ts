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
interface Extras {
  avgLatency: number;
  /** answers that carried a packing: the denominator of the per-pack averages */
  packs: number;
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
    keystems: t.keystems,
  };
}
