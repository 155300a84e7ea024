/**
 * The statistics vocabulary shared by the proxy, the pipeline and the stores.
 * Field names and units follow the seed's HTTP contract (latency in nanoseconds).
 */

/** Per-request statistics: the body of `POST /` and the payload of a pack event. */
export interface PackStats {
  usedKeystem: string;
  totalItems: number;
  totalVolume: number;
  volumeUtilization: number;
  /** box refId → number of boxes of that type in this packing */
  boxTypes: Record<string, number>;
  /** ISO 8601, taken when the proxy forwarded the request */
  timeStamp: string;
  cacheHit: boolean;
  requestError: boolean;
  errorResponse: boolean;
  /** HTTP status of Paccurate's answer as a string; "0" when no answer came */
  statusCode: string;
  /** round trip in nanoseconds */
  latency: number;
  /** cents, Paccurate's `totalCost`; null when the answer had none */
  totalCost: number | null;
  /** Paccurate's `lenBoxes` */
  boxes: number;
  /** Paccurate's `lenLeftovers`: items that fit in no box */
  leftovers: number;
  /** Paccurate's `totalWeight` (the request's weight unit), boxes' tare included */
  totalWeight: number;
  /** seconds, Paccurate's `packTime`; null when the answer had none */
  packTime: number | null;
  /** per box refId (keyed like `boxTypes`): sums over this packing's boxes of that type */
  boxTypeStats: Record<string, BoxTypeSums>;
  /** Paccurate's `boxTypeChoiceGoalUsed`; null when the answer had none */
  boxTypeChoiceGoalUsed: string | null;
  /** how many entries Paccurate's `warnings` array had */
  warnings: number;
}

/** One box type's boxes in one packing, as sums (a missing value adds nothing). */
export interface BoxTypeSums {
  /** sum of the boxes' `volumeUtilization` */
  volumeUtilizationSum: number;
  /** boxes that reported a `volumeUtilization` */
  volumeUtilizationCount: number;
  /** sum of the boxes' `price` (cents) */
  totalCost: number;
}

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
  /** cents, over the packs whose answer carried a totalCost (costedPacks) */
  totalCost: number;
  costedPacks: number;
  totalBoxes: number;
  totalLeftovers: number;
  packsWithLeftovers: number;
  totalWeight: number;
  /** seconds, over the packs that reported a packTime (packTimeCount) */
  packTimeSum: number;
  packTimeCount: number;
  packsWithWarnings: number;
  /** boxTypeChoiceGoalUsed → packs */
  choiceGoals: Record<string, number>;
  /** box refId → sum of its boxes' volumeUtilization, and how many boxes reported one */
  boxTypeUtilizationSum: Record<string, number>;
  boxTypeUtilizationCount: Record<string, number>;
  /** box refId → sum of its boxes' price (cents) */
  boxTypeCost: Record<string, number>;
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
