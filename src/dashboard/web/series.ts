import type { HistoryPoint } from './types.js';

/**
 * History buckets → what the charts draw and the headline numbers say. Pure: the page's only
 * arithmetic on statistics. Rates and averages of a bucket without traffic are null (a gap in
 * the line), never 0.
 */

export interface ChartSeries {
  /** bucket starts, seconds since the epoch (uPlot's x) */
  x: number[];
  ok: number[];
  clientErrors: number[];
  serverErrors: number[];
  transportErrors: number[];
  cacheHitRate: (number | null)[];
  avgLatencyMs: (number | null)[];
  maxLatencyMs: (number | null)[];
  /** percent */
  avgUtilization: (number | null)[];
  /** currency units */
  cost: number[];
  leftovers: number[];
}

/** Requests by the class of Paccurate's answer; "0" (no answer) is a transport error. */
export function statusClasses(statusCodes: Record<string, number>): {
  ok: number;
  clientErrors: number;
  serverErrors: number;
  transportErrors: number;
} {
  const sums = { ok: 0, clientErrors: 0, serverErrors: 0, transportErrors: 0 };
  for (const [code, n] of Object.entries(statusCodes)) {
    const c = Number(code);
    if (c === 0) sums.transportErrors += n;
    else if (c >= 200 && c < 300) sums.ok += n;
    else if (c >= 400 && c < 500) sums.clientErrors += n;
    else if (c >= 500) sums.serverErrors += n;
  }
  return sums;
}

const share = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

export function chartSeries(points: readonly HistoryPoint[]): ChartSeries {
  const s: ChartSeries = {
    x: [],
    ok: [],
    clientErrors: [],
    serverErrors: [],
    transportErrors: [],
    cacheHitRate: [],
    avgLatencyMs: [],
    maxLatencyMs: [],
    avgUtilization: [],
    cost: [],
    leftovers: [],
  };
  for (const p of points) {
    const classes = statusClasses(p.statusCodes);
    s.x.push(Date.parse(p.start) / 1000);
    s.ok.push(classes.ok);
    s.clientErrors.push(classes.clientErrors);
    s.serverErrors.push(classes.serverErrors);
    s.transportErrors.push(Math.max(classes.transportErrors, p.requestErrorCount));
    const hitRate = share(p.cacheHits, p.totalRequests);
    s.cacheHitRate.push(hitRate === null ? null : hitRate * 100);
    s.avgLatencyMs.push(p.avgLatency === null ? null : p.avgLatency / 1e6);
    s.maxLatencyMs.push(p.totalRequests > 0 ? p.maxLatency.latency / 1e6 : null);
    s.avgUtilization.push(p.avgVolumeUtilization === null ? null : p.avgVolumeUtilization * 100);
    s.cost.push(p.totalCost / 100);
    s.leftovers.push(p.totalLeftovers);
  }
  return s;
}

/** The headline numbers of a range, summed from its buckets. */
export interface RangeTotals {
  totalRequests: number;
  /** error answers from Paccurate plus requests without an answer */
  errors: number;
  errorRate: number | null;
  cacheHits: number;
  cacheHitRate: number | null;
  /** ns, weighted by the requests measured (those not answered from the cache) */
  avgLatency: number | null;
  maxLatency: number | null;
  packs: number;
  /** a fraction, weighted by packs */
  avgVolumeUtilization: number | null;
  /** cents */
  totalCost: number;
  avgCostPerPack: number | null;
  totalLeftovers: number;
  statusCodes: Record<string, number>;
  boxTypes: { refId: string; count: number; avgVolumeUtilization: number | null; totalCost: number }[];
}

export function rangeTotals(points: readonly HistoryPoint[]): RangeTotals {
  let totalRequests = 0;
  let errors = 0;
  let cacheHits = 0;
  let latencyWeighted = 0;
  let latencyWeight = 0;
  let maxLatency: number | null = null;
  let packs = 0;
  let utilizationSum = 0;
  let utilizationPacks = 0;
  let totalCost = 0;
  let costedPacks = 0;
  let totalLeftovers = 0;
  const statusCodes: Record<string, number> = {};
  const boxes = new Map<
    string,
    { count: number; utilizationSum: number; utilizationCount: number; totalCost: number }
  >();
  for (const p of points) {
    totalRequests += p.totalRequests;
    errors += p.errorCount + p.requestErrorCount;
    cacheHits += p.cacheHits;
    if (p.avgLatency !== null) {
      const measured = Math.max(1, p.totalRequests - p.cacheHits);
      latencyWeighted += p.avgLatency * measured;
      latencyWeight += measured;
    }
    if (p.totalRequests > 0) maxLatency = Math.max(maxLatency ?? 0, p.maxLatency.latency);
    packs += p.packs;
    if (p.avgVolumeUtilization !== null) {
      utilizationSum += p.avgVolumeUtilization * p.packs;
      utilizationPacks += p.packs;
    }
    totalCost += p.totalCost;
    costedPacks += p.costedPacks;
    totalLeftovers += p.totalLeftovers;
    for (const [code, n] of Object.entries(p.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
    for (const [refId, b] of Object.entries(p.boxTypeStats ?? {})) {
      const sum = boxes.get(refId) ?? { count: 0, utilizationSum: 0, utilizationCount: 0, totalCost: 0 };
      sum.count += b.count;
      sum.totalCost += b.totalCost;
      if (b.avgVolumeUtilization !== null) {
        sum.utilizationSum += b.avgVolumeUtilization * b.count;
        sum.utilizationCount += b.count;
      }
      boxes.set(refId, sum);
    }
  }
  return {
    totalRequests,
    errors,
    errorRate: share(errors, totalRequests),
    cacheHits,
    cacheHitRate: share(cacheHits, totalRequests),
    avgLatency: share(latencyWeighted, latencyWeight),
    maxLatency,
    packs,
    avgVolumeUtilization: share(utilizationSum, utilizationPacks),
    totalCost,
    avgCostPerPack: share(totalCost, costedPacks),
    totalLeftovers,
    statusCodes,
    boxTypes: [...boxes]
      .map(([refId, b]) => ({
        refId,
        count: b.count,
        avgVolumeUtilization: share(b.utilizationSum, b.utilizationCount),
        totalCost: b.totalCost,
      }))
      .sort((a, b) => b.count - a.count || a.refId.localeCompare(b.refId)),
  };
}
