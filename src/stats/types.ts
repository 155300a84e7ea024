import { z } from 'zod';

/**
 * The statistics vocabulary shared by the proxy, the pipeline and the stores.
 * Field names and units follow the seed's HTTP contract (latency in nanoseconds).
 */

/** Per-request statistics: the body of `POST /` and the payload of a pack event. */
export const packStatsSchema = z.object({
  usedKeystem: z
    .string()
    .describe(
      "the facility's keystem: Paccurate's `usedKeyStem`, else the one last seen for the API key, else `unknown`",
    ),
  totalItems: z.number().describe("items packed (Paccurate's `lenItems`)"),
  totalVolume: z
    .number()
    .describe("volume of the items packed (Paccurate's `totalVolume`, in the request's units cubed)"),
  volumeUtilization: z
    .number()
    .describe("fraction of the boxes' volume used, 0 to 1 (Paccurate's `totalVolumeUtilization`)"),
  boxTypes: z
    .record(z.string(), z.number())
    .describe('box `refId` → number of boxes of that type in this packing'),
  timeStamp: z.string().describe('ISO 8601, when the proxy forwarded the request'),
  cacheHit: z.boolean().describe('answered from the request cache, without calling Paccurate'),
  requestError: z
    .boolean()
    .describe('the request did not get through (refused by the proxy, Paccurate unreachable or too slow)'),
  errorResponse: z.boolean().describe('Paccurate answered with an error status'),
  statusCode: z.string().describe('HTTP status of Paccurate\'s answer as a string; "0" when no answer came'),
  latency: z.number().describe("Paccurate's round trip in nanoseconds (0 when none was made)"),
});
export type PackStats = z.infer<typeof packStatsSchema>;

/** A pack request the proxy answered. `keystem` equals `stats.usedKeystem`. */
export interface PackEvent {
  kind: 'pack';
  /** UUID made by the proxy; also the BullMQ job id and the ledger key */
  eventId: string;
  keystem: string;
  /** ms since the epoch, when the proxy accepted the event (orders it against resets) */
  at: number;
  stats: PackStats;
}

/** DELETE /api/keydata/{keystem}: forget everything recorded for the keystem before `at`. */
export interface ResetEvent {
  kind: 'reset';
  eventId: string;
  keystem: string;
  at: number;
}

export type StatsEvent = PackEvent | ResetEvent;

/** Latency at its highest, with when it happened. */
export interface MaxLatency {
  latency: number;
  timeStamp: string;
}

/** Sums kept per keystem (and summed across keystems). Never averages: those are computed on read. */
export interface Totals {
  totalItems: number;
  totalVolume: number;
  /** answers that carried a packing: the denominator of the per-pack averages */
  packs: number;
  sumVolumeUtilization: number;
  totalRequests: number;
  statusCodes: Record<string, number>;
  boxTypes: Record<string, number>;
  requestErrorCount: number;
  errorResponseCount: number;
  cacheHits: number;
  /** nanoseconds, over requests that were not cache hits */
  latencySum: number;
  latencyCount: number;
  maxLatency: MaxLatency;
}

export interface KeystemTotals extends Totals {
  keystem: string;
  /** ISO 8601 of the last flush that touched this keystem */
  updatedAt: string;
}

export interface SummaryTotals extends Totals {
  keystems: number;
  maxLatency: MaxLatency & { usedKeystem: string };
  /** the keystem whose average latency is the highest; null when no keystem has a latency */
  highestAvgLatency: { latency: number; usedKeystem: string } | null;
}
