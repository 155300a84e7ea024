import type { HistoryPoint } from '../../src/dashboard/web/types';

/** A history bucket as the API answers it: an empty one, with `fields` on top. */
export function point(start: string, fields: Partial<HistoryPoint> = {}): HistoryPoint {
  return {
    start,
    totalRequests: 0,
    statusCodes: {},
    requestErrorCount: 0,
    errorCount: 0,
    cacheHits: 0,
    avgLatency: null,
    maxLatency: { latency: 0, timeStamp: '' },
    avgVolumeUtilization: null,
    totalCost: 0,
    costedPacks: 0,
    avgCostPerPack: null,
    totalLeftovers: 0,
    packsWithLeftovers: 0,
    totalBoxes: 0,
    packs: 0,
    boxTypes: {},
    boxTypeStats: {},
    ...fields,
  };
}
