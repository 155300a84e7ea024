import { chartSeries, rangeTotals, statusClasses } from '../../src/dashboard/web/series';
import { point } from './points';

const busy = point('2026-12-01T10:00:00.000Z', {
  totalRequests: 10,
  statusCodes: { '200': 6, '201': 1, '422': 1, '503': 1, '0': 1 },
  requestErrorCount: 1,
  errorCount: 2,
  cacheHits: 2,
  avgLatency: 20_000_000,
  maxLatency: { latency: 90_000_000, timeStamp: '2026-12-01T10:12:00.000Z' },
  avgVolumeUtilization: 0.5,
  totalCost: 1200,
  costedPacks: 6,
  avgCostPerPack: 200,
  totalLeftovers: 3,
  packs: 6,
  boxTypeStats: {
    small: { count: 4, avgVolumeUtilization: 0.25, totalCost: 400 },
    large: { count: 4, avgVolumeUtilization: 0.75, totalCost: 800 },
  },
});
const quiet = point('2026-12-01T11:00:00.000Z');
const later = point('2026-12-01T12:00:00.000Z', {
  totalRequests: 5,
  statusCodes: { '200': 5 },
  cacheHits: 1,
  avgLatency: 10_000_000,
  maxLatency: { latency: 30_000_000, timeStamp: '2026-12-01T12:01:00.000Z' },
  avgVolumeUtilization: 0.8,
  totalCost: 300,
  costedPacks: 2,
  packs: 2,
  boxTypeStats: { small: { count: 2, avgVolumeUtilization: 0.4, totalCost: 300 } },
});

describe('dashboard series', () => {
  it('splits requests into 2xx, 4xx, 5xx and transport errors (status "0")', () => {
    expect(statusClasses(busy.statusCodes)).toEqual({
      ok: 7,
      clientErrors: 1,
      serverErrors: 1,
      transportErrors: 1,
    });
  });

  it('gives the charts one value per bucket, gaps (null) where a bucket had nothing to average', () => {
    const s = chartSeries([busy, quiet, later]);
    expect(s.x).toEqual([
      Date.parse(busy.start) / 1000,
      Date.parse(quiet.start) / 1000,
      Date.parse(later.start) / 1000,
    ]);
    expect(s.ok).toEqual([7, 0, 5]);
    expect(s.transportErrors).toEqual([1, 0, 0]);
    expect(s.cacheHitRate).toEqual([20, null, 20]);
    expect(s.avgLatencyMs).toEqual([20, null, 10]);
    expect(s.maxLatencyMs).toEqual([90, null, 30]);
    expect(s.avgUtilization).toEqual([50, null, 80]);
    expect(s.cost).toEqual([12, 0, 3]);
    expect(s.leftovers).toEqual([3, 0, 0]);
  });

  it('headline totals: sums, and averages weighted by what they average over', () => {
    const t = rangeTotals([busy, quiet, later]);
    expect(t).toMatchObject({
      totalRequests: 15,
      errors: 3,
      errorRate: 3 / 15,
      cacheHits: 3,
      cacheHitRate: 3 / 15,
      // 8 measured requests at 20 ms, 4 at 10 ms
      avgLatency: (8 * 20_000_000 + 4 * 10_000_000) / 12,
      maxLatency: 90_000_000,
      packs: 8,
      avgVolumeUtilization: (6 * 0.5 + 2 * 0.8) / 8,
      totalCost: 1500,
      avgCostPerPack: 1500 / 8,
      totalLeftovers: 3,
      statusCodes: { '200': 11, '201': 1, '422': 1, '503': 1, '0': 1 },
    });
    expect(t.boxTypes).toEqual([
      { refId: 'small', count: 6, avgVolumeUtilization: (4 * 0.25 + 2 * 0.4) / 6, totalCost: 700 },
      { refId: 'large', count: 4, avgVolumeUtilization: 0.75, totalCost: 800 },
    ]);
  });

  it('a range without traffic has no averages and no rates', () => {
    expect(rangeTotals([quiet])).toMatchObject({
      totalRequests: 0,
      errorRate: null,
      cacheHitRate: null,
      avgLatency: null,
      maxLatency: null,
      avgVolumeUtilization: null,
      avgCostPerPack: null,
    });
  });
});
