import { Router } from 'express';
import { bucketStart } from '../../../src/dashboard/web/range';
import type { HistoryPoint, Interval, KeystemItem } from '../../../src/dashboard/web/types';
import { addStats, emptyTotals } from '../../../src/stats/fold';
import { ratio } from '../../../src/stats/report';
import type { PackEvent, Totals } from '../../../src/stats/types';
import type { StatsStore } from '../../../src/store/types';

/**
 * STAND-IN, to delete when the store-history branch is merged: its history routes and the
 * keystem list's `items` are not on this branch yet. Answers the contract from the events the
 * test wrote to the store, and is mounted only in front of an app that lacks those routes.
 */

function pointOf(start: number, t: Totals, keystems: number | undefined): HistoryPoint {
  const boxTypeStats: HistoryPoint['boxTypeStats'] = {};
  for (const [refId, count] of Object.entries(t.boxTypes))
    boxTypeStats[refId] = { count, avgVolumeUtilization: null, totalCost: 0 };
  return {
    start: new Date(start).toISOString(),
    totalRequests: t.totalRequests,
    statusCodes: t.statusCodes,
    requestErrorCount: t.requestErrorCount,
    errorCount: t.errorResponseCount,
    cacheHits: t.cacheHits,
    avgLatency: t.latencyCount ? t.latencySum / t.latencyCount : null,
    maxLatency: t.maxLatency,
    avgVolumeUtilization: t.packs ? t.sumVolumeUtilization / t.packs : null,
    totalCost: 0,
    costedPacks: 0,
    avgCostPerPack: null,
    totalLeftovers: 0,
    packsWithLeftovers: 0,
    totalBoxes: Object.values(t.boxTypes).reduce((a, b) => a + b, 0),
    packs: t.packs,
    boxTypes: t.boxTypes,
    boxTypeStats,
    ...(keystems === undefined ? {} : { keystems }),
  };
}

function history(events: readonly PackEvent[], query: Record<string, unknown>, all: boolean) {
  const from = Date.parse(String(query.from));
  const to = Date.parse(String(query.to));
  const interval = String(query.interval) as Interval;
  const tz = String(query.tz);
  const buckets = new Map<number, { totals: Totals; keystems: Set<string> }>();
  for (let t = from; t < to; t += 3_600_000) {
    const start = bucketStart(t, interval, tz);
    if (!buckets.has(start)) buckets.set(start, { totals: emptyTotals(), keystems: new Set() });
  }
  for (const e of events) {
    if (e.at < from || e.at >= to) continue;
    const bucket = buckets.get(bucketStart(e.at, interval, tz))!;
    addStats(bucket.totals, e.stats);
    bucket.keystems.add(e.keystem);
  }
  return {
    interval,
    tz,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    points: [...buckets].map(([start, b]) => pointOf(start, b.totals, all ? b.keystems.size : undefined)),
  };
}

export function historyStandIn(store: StatsStore, events: readonly PackEvent[]): Router {
  const router = Router();
  router.get('/api/keydata/all/history', (req, res) => {
    res.json(history(events, req.query, true));
  });
  router.get('/api/keydata/:keystem/history', (req, res) => {
    const own = events.filter((e) => e.keystem === req.params.keystem);
    if (own.length === 0)
      return res.status(404).json({ Message: `no data for keystem ${req.params.keystem}` });
    res.json({ usedKeystem: req.params.keystem, ...history(own, req.query, false) });
  });
  router.get('/api/keydata', async (req, res) => {
    const page = await store.listKeystems({
      limit: Number(req.query.limit ?? 100),
      after: req.query.after as string,
    });
    const items: KeystemItem[] = [];
    for (const keystem of page.keystems) {
      const t = (await store.getKeystem(keystem))!;
      items.push({
        usedKeystem: keystem,
        totalRequests: t.totalRequests,
        requestErrorCount: t.requestErrorCount,
        errorCount: t.errorResponseCount,
        avgVolumeUtilization: t.packs ? ratio(t.sumVolumeUtilization, t.packs) : null,
        avgCostPerPack: null,
        avgLatency: t.latencyCount ? ratio(t.latencySum, t.latencyCount) : null,
        updatedAt: t.updatedAt,
      });
    }
    res.json({ ...page, items });
  });
  return router;
}
