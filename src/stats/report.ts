import { z } from 'zod';
import type { KeystemListRow, SummaryPointTotals } from '../store/types';
import type { KeystemTotals, MaxLatency, SummaryTotals, Totals } from './types';

/**
 * Read-time view of the stored sums, in the seed's JSON shape (field names and units kept):
 * averages are computed here, from sums. The seed's averages are 0 when nothing was there to
 * average; the averages added since, and every average of a history point, are null then.
 * The zod schemas are the answers' contract: the OpenAPI document is generated from them.
 */

const count = (what: string) => z.number().describe(what);
const countsBy = (key: string) => z.record(z.string(), z.number()).describe(`${key} → count`);
const average = (what: string) =>
  z.number().nullable().describe(`${what}; null when there was nothing to average`);

/** The seed's fields shared by the per-keystem and the all-keystems answers, in its order. */
const reportBodyShape = {
  totalItems: count('items packed, summed over every request'),
  totalVolume: count("volume of the items packed, summed (the requests' units cubed)"),
  avgItemsPerPack: count('totalItems / packs; 0 when packs is 0'),
  avgVolumeUtilization: count('mean fraction of box volume used (0 to 1) over the packs; 0 when packs is 0'),
  boxTypes: countsBy('box `refId`'),
  totalRequests: count('pack requests counted, failures and cache hits included'),
  statusCodes: countsBy('Paccurate\'s HTTP status as a string ("0": no answer came)'),
  requestErrorCount: count('requests that did not get through (refused, Paccurate unreachable or too slow)'),
  errorCount: count("error responses received from Paccurate (the seed's name)"),
  cacheHits: count('requests answered from the request cache'),
};

/** A history point's seed fields: the same, with averages null for an empty point. */
const pointBodyShape = {
  ...reportBodyShape,
  avgItemsPerPack: average('totalItems / packs'),
  avgVolumeUtilization: average('mean fraction of box volume used (0 to 1) over the packs'),
};

const boxTypeReportSchema = z.object({
  count: count('boxes of this type'),
  avgVolumeUtilization: average("mean of the boxes' own volumeUtilization (0 to 1)"),
  totalCost: count("sum of the boxes' price, in cents"),
});
export type BoxTypeReport = z.infer<typeof boxTypeReportSchema>;

/** Cost and packing quality, from Paccurate's answers (stored as sums and counts). */
const packingQualityShape = {
  totalCost: count("cents: sum of Paccurate's totalCost over the packs whose answer carried one"),
  costedPacks: count('packs whose answer carried a totalCost'),
  avgCostPerPack: average('cents: totalCost / costedPacks'),
  totalBoxes: count("boxes used (sum of Paccurate's lenBoxes)"),
  avgBoxesPerPack: average('totalBoxes / packs'),
  totalLeftovers: count("items that fit in no box (sum of Paccurate's lenLeftovers)"),
  packsWithLeftovers: count('packs with at least one leftover item'),
  totalWeight: count("sum of Paccurate's totalWeight (the requests' weight unit, boxes' tare included)"),
  avgPackTime: average("seconds: mean of Paccurate's packTime over the packs that reported one"),
  boxTypeStats: z
    .record(z.string(), boxTypeReportSchema)
    .describe('per box `refId` (keyed like boxTypes): count, average utilization, cost'),
  choiceGoals: countsBy('boxTypeChoiceGoalUsed value → packs'),
  packsWithWarnings: count('packs whose answer carried warnings'),
};
type PackingQualityReport = z.infer<z.ZodObject<typeof packingQualityShape>>;

/** After maxLatency: the seed's avgLatency, then what we add. */
const extrasShape = {
  avgLatency: count(
    'mean round trip to Paccurate in nanoseconds, over the requests that reached it (cache hits and refused requests left out); 0 when none did',
  ),
  packs: count('answers that carried a packing: the denominator of the per-pack averages'),
  ...packingQualityShape,
};

const latencyNs = count('round trip to Paccurate in nanoseconds');
const maxLatencyShape = {
  latency: latencyNs,
  timeStamp: z
    .string()
    .describe('ISO 8601, when that request was forwarded; empty when nothing was measured'),
};
const maxLatencyOfAll = z
  .object({
    latency: latencyNs,
    usedKeystem: z.string().describe('whose request it was; empty when nothing was measured'),
    timeStamp: maxLatencyShape.timeStamp,
  })
  .describe('the slowest round trip to Paccurate of any keystem');

/** `GET /api/keydata/{keystem}`: one keystem's sums and averages. */
export const keystemReportSchema = z.object({
  usedKeystem: z.string().describe('the keystem'),
  ...reportBodyShape,
  maxLatency: z.object(maxLatencyShape).describe("the keystem's slowest round trip to Paccurate"),
  ...extrasShape,
  updatedAt: z.string().describe('ISO 8601, when a worker last wrote these statistics'),
});
export type KeystemReport = z.infer<typeof keystemReportSchema>;

/** `GET /api/keydata/all`: the same across every keystem. */
export const summaryReportSchema = z.object({
  ...reportBodyShape,
  maxLatency: maxLatencyOfAll,
  ...extrasShape,
  highestAvgLatency: z
    .object({
      latency: z.number().describe("that keystem's avgLatency, in nanoseconds"),
      usedKeystem: z.string().describe('the keystem; empty when no keystem has a latency'),
    })
    .describe('the keystem whose average round trip is the longest'),
  keystems: count('keystems with something recorded'),
});
export type SummaryReport = z.infer<typeof summaryReportSchema>;

const pointStart = z
  .string()
  .describe("ISO 8601 with the zone's offset: the calendar start of the point's hour, day, week or month");
const pointExtrasShape = {
  avgLatency: average('mean round trip to Paccurate in nanoseconds, over the requests that reached it'),
  packs: extrasShape.packs,
  ...packingQualityShape,
};

/** One point of `GET /api/keydata/{keystem}/history`: the keydata fields of its hours. */
export const historyPointSchema = z.object({
  start: pointStart,
  ...pointBodyShape,
  maxLatency: z.object(maxLatencyShape).describe("the point's slowest round trip to Paccurate"),
  ...pointExtrasShape,
});
export type HistoryPoint = z.infer<typeof historyPointSchema>;

/** One point of `GET /api/keydata/all/history`. */
export const summaryHistoryPointSchema = z.object({
  start: pointStart,
  ...pointBodyShape,
  maxLatency: maxLatencyOfAll,
  ...pointExtrasShape,
  keystems: count("keystems with traffic in the point's hours"),
});
export type SummaryHistoryPoint = z.infer<typeof summaryHistoryPointSchema>;

/** One item of `GET /api/keydata` (the keystem list): a keystem at a glance. */
export const keystemListItemSchema = z.object({
  usedKeystem: z.string().describe('the keystem'),
  totalRequests: reportBodyShape.totalRequests,
  requestErrorCount: reportBodyShape.requestErrorCount,
  errorCount: reportBodyShape.errorCount,
  avgVolumeUtilization: reportBodyShape.avgVolumeUtilization,
  avgCostPerPack: packingQualityShape.avgCostPerPack,
  avgLatency: extrasShape.avgLatency,
  updatedAt: z.string().describe('ISO 8601, when a worker last wrote its statistics (last seen)'),
});
export type KeystemListItem = z.infer<typeof keystemListItemSchema>;

type ReportBody<Avg extends number | null> = Omit<
  z.infer<z.ZodObject<typeof reportBodyShape>>,
  'avgItemsPerPack' | 'avgVolumeUtilization'
> & { avgItemsPerPack: Avg; avgVolumeUtilization: Avg };

export function ratio(sum: number, count: number): number {
  return count === 0 ? 0 : sum / count;
}

/** An average that has no value when there was nothing to average. */
export function ratioOrNull(sum: number, count: number): number | null {
  return count === 0 ? null : sum / count;
}

function boxTypeStats(t: Totals): Record<string, BoxTypeReport> {
  return Object.fromEntries(
    Object.entries(t.boxTypes).map(([refId, boxes]) => [
      refId,
      {
        count: boxes,
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
  averageOf: (sum: number, count: number) => Avg,
): ReportBody<Avg> {
  return {
    totalItems: t.totalItems,
    totalVolume: t.totalVolume,
    avgItemsPerPack: averageOf(t.totalItems, t.packs),
    avgVolumeUtilization: averageOf(t.sumVolumeUtilization, t.packs),
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
