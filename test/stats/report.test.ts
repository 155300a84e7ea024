import { emptyTotals } from '../../src/stats/fold';
import { keystemReport, summaryReport } from '../../src/stats/report';

describe('keystemReport', () => {
  it("computes the averages from sums, in the seed's shape", () => {
    const report = keystemReport({
      ...emptyTotals(),
      keystem: 'aqRAiz-8RA',
      updatedAt: '2025-03-25T05:47:23.000Z',
      totalItems: 69,
      totalVolume: 51840,
      packs: 3,
      sumVolumeUtilization: 1.5,
      totalRequests: 4,
      statusCodes: { '200': 3, '0': 1 },
      boxTypes: { '0': 36 },
      requestErrorCount: 1,
      errorResponseCount: 2,
      cacheHits: 1,
      latencySum: 900,
      latencyCount: 3,
      maxLatency: { latency: 500, timeStamp: 't' },
      totalCost: 1000,
      costedPacks: 2,
      totalBoxes: 36,
      totalLeftovers: 4,
      packsWithLeftovers: 1,
      totalWeight: 12.5,
      packTimeSum: 0.75,
      packTimeCount: 3,
      packsWithWarnings: 1,
      choiceGoals: { 'lowest-cost': 3 },
      boxTypeUtilizationSum: { '0': 9 },
      boxTypeUtilizationCount: { '0': 12 },
      boxTypeCost: { '0': 1000 },
    });
    expect(report).toEqual({
      usedKeystem: 'aqRAiz-8RA',
      totalItems: 69,
      totalVolume: 51840,
      avgItemsPerPack: 23,
      avgVolumeUtilization: 0.5,
      boxTypes: { '0': 36 },
      totalRequests: 4,
      statusCodes: { '200': 3, '0': 1 },
      requestErrorCount: 1,
      errorCount: 2,
      cacheHits: 1,
      maxLatency: { latency: 500, timeStamp: 't' },
      avgLatency: 300,
      packs: 3,
      totalCost: 1000,
      costedPacks: 2,
      avgCostPerPack: 500,
      totalBoxes: 36,
      avgBoxesPerPack: 12,
      totalLeftovers: 4,
      packsWithLeftovers: 1,
      totalWeight: 12.5,
      avgPackTime: 0.25,
      boxTypeStats: { '0': { count: 36, avgVolumeUtilization: 0.75, totalCost: 1000 } },
      choiceGoals: { 'lowest-cost': 3 },
      packsWithWarnings: 1,
      updatedAt: '2025-03-25T05:47:23.000Z',
    });
    expect(Object.keys(report).slice(0, 13)).toEqual([
      'usedKeystem',
      'totalItems',
      'totalVolume',
      'avgItemsPerPack',
      'avgVolumeUtilization',
      'boxTypes',
      'totalRequests',
      'statusCodes',
      'requestErrorCount',
      'errorCount',
      'cacheHits',
      'maxLatency',
      'avgLatency',
    ]);
  });

  it('answers 0 for averages with nothing to average', () => {
    const report = keystemReport({
      ...emptyTotals(),
      keystem: 'k',
      updatedAt: '',
      totalRequests: 1,
      cacheHits: 1,
    });
    expect(report.avgItemsPerPack).toBe(0);
    expect(report.avgVolumeUtilization).toBe(0);
    expect(report.avgLatency).toBe(0);
    expect(report).toMatchObject({ avgCostPerPack: null, avgBoxesPerPack: null, avgPackTime: null });
  });
});

describe('summaryReport', () => {
  it('carries maxLatency.usedKeystem, highestAvgLatency and the keystem count', () => {
    const report = summaryReport({
      ...emptyTotals(),
      totalItems: 10,
      packs: 4,
      latencySum: 30,
      latencyCount: 2,
      keystems: 2,
      maxLatency: { latency: 20, timeStamp: 't', usedKeystem: 'a' },
      highestAvgLatency: { latency: 20, usedKeystem: 'a' },
    });
    expect(report).toMatchObject({
      totalItems: 10,
      avgItemsPerPack: 2.5,
      avgLatency: 15,
      keystems: 2,
      maxLatency: { latency: 20, timeStamp: 't', usedKeystem: 'a' },
      highestAvgLatency: { latency: 20, usedKeystem: 'a' },
    });
  });

  it('keeps the highestAvgLatency object shape when no keystem has a latency', () => {
    const report = summaryReport({
      ...emptyTotals(),
      keystems: 0,
      maxLatency: { latency: 0, timeStamp: '', usedKeystem: '' },
      highestAvgLatency: null,
    });
    expect(report.highestAvgLatency).toEqual({ latency: 0, usedKeystem: '' });
    expect(report.avgLatency).toBe(0);
  });
});
