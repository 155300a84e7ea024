import {
  amountField,
  boxTypesOf,
  choiceGoalOf,
  countField,
  numberField,
  warningCountOf,
  type BoxTypeLimits,
} from './paccurate';
import type { PackStats } from './types';

/** What is known about one pack request besides Paccurate's answer. */
export interface Exchange {
  keystem: string;
  /** Paccurate's status as a string; "0" when no answer came */
  statusCode: string;
  /** nanoseconds */
  latency: number;
  /** ISO 8601, when the request was forwarded */
  timeStamp: string;
  cacheHit: boolean;
}

/** Stats of an answer that carried a packing (the seed's field mapping). */
export function packedStats(answer: unknown, exchange: Exchange, limits?: BoxTypeLimits): PackStats {
  const boxTypes = boxTypesOf(answer, limits);
  return {
    usedKeystem: exchange.keystem,
    totalItems: numberField(answer, 'lenItems'),
    totalVolume: numberField(answer, 'totalVolume'),
    volumeUtilization: numberField(answer, 'totalVolumeUtilization'),
    boxTypes: boxTypes.counts,
    timeStamp: exchange.timeStamp,
    cacheHit: exchange.cacheHit,
    requestError: false,
    errorResponse: false,
    statusCode: exchange.statusCode,
    latency: exchange.latency,
    totalCost: amountField(answer, 'totalCost'),
    boxes: countField(answer, 'lenBoxes'),
    leftovers: countField(answer, 'lenLeftovers'),
    totalWeight: amountField(answer, 'totalWeight') ?? 0,
    packTime: amountField(answer, 'packTime'),
    boxTypeStats: boxTypes.sums,
    boxTypeChoiceGoalUsed: choiceGoalOf(answer),
    warnings: warningCountOf(answer),
  };
}

/**
 * Stats of a request that got no packing: `requestError` when it did not get through (refused
 * by the proxy, unreachable, timed out), `errorResponse` when Paccurate answered with an error.
 */
export function failedStats(
  exchange: Exchange,
  failure: { requestError: boolean; errorResponse: boolean },
): PackStats {
  return {
    usedKeystem: exchange.keystem,
    totalItems: 0,
    totalVolume: 0,
    volumeUtilization: 0,
    boxTypes: {},
    timeStamp: exchange.timeStamp,
    cacheHit: exchange.cacheHit,
    requestError: failure.requestError,
    errorResponse: failure.errorResponse,
    statusCode: exchange.statusCode,
    latency: exchange.latency,
    ...noPacking(),
  };
}

/** The cost and packing-quality fields of a request that got no packing. */
export function noPacking(): Pick<
  PackStats,
  | 'totalCost'
  | 'boxes'
  | 'leftovers'
  | 'totalWeight'
  | 'packTime'
  | 'boxTypeStats'
  | 'boxTypeChoiceGoalUsed'
  | 'warnings'
> {
  return {
    totalCost: null,
    boxes: 0,
    leftovers: 0,
    totalWeight: 0,
    packTime: null,
    boxTypeStats: {},
    boxTypeChoiceGoalUsed: null,
    warnings: 0,
  };
}
