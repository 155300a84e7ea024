import { z } from 'zod';
import type { KeystemTotals, SummaryTotals, Totals } from './types';

/**
 * Read-time view of the stored sums, in the seed's JSON shape (field names and units kept):
 * averages are computed here, from sums, and are 0 when nothing was there to average.
 */

const count = (what: string) => z.number().describe(what);
const countsBy = (key: string) => z.record(z.string(), z.number()).describe(`${key} → count`);

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

/** After maxLatency: the seed's avgLatency, then what we add. */
const extrasShape = {
  avgLatency: count(
    'mean round trip to Paccurate in nanoseconds, over the requests that reached it (cache hits and refused requests left out); 0 when none did',
  ),
  packs: count('answers that carried a packing: the denominator of the per-pack averages'),
};

const latencyNs = count('round trip to Paccurate in nanoseconds');
const maxLatencyShape = {
  latency: latencyNs,
  timeStamp: z
    .string()
    .describe('ISO 8601, when that request was forwarded; empty when nothing was measured'),
};

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
  maxLatency: z
    .object({
      latency: latencyNs,
      usedKeystem: z.string().describe('whose request it was; empty when nothing was measured'),
      timeStamp: maxLatencyShape.timeStamp,
    })
    .describe('the slowest round trip to Paccurate of any keystem'),
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

type ReportBody = z.infer<z.ZodObject<typeof reportBodyShape>>;

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
