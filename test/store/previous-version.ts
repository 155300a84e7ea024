/**
 * What the previous version stored for keystem old-ks-001 (its sums and maps, before the cost and
 * packing-quality fields): test/fixtures/sqlite-schema-v1.sql holds the same as SQLite rows.
 */
export const PREVIOUS_VERSION_KEYSTEM = {
  totalItems: 69,
  totalVolume: 51840,
  packs: 3,
  sumVolumeUtilization: 1.5,
  totalRequests: 5,
  requestErrorCount: 1,
  errorResponseCount: 1,
  cacheHits: 1,
  latencySum: 900,
  latencyCount: 3,
  maxLatency: { latency: 500, timeStamp: '2025-03-25T05:47:23.483Z' },
  statusCodes: { '200': 3, '0': 1, '500': 1 },
  boxTypes: { '0': 36 },
};
