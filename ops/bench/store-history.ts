import { bucketsOf, Zone, type Interval } from '../../src/history/calendar';
import { HOUR_MS } from '../../src/stats/fold';
import { historyPoint, summaryHistoryPoint } from '../../src/stats/report';
import type { PackEvent } from '../../src/stats/types';
import type { StatsStore } from '../../src/store/types';
import { fixed } from './lib/table';

/**
 * The history part of `npm run bench:store` (issue 14's targets, SQLite on this machine):
 * one keystem with a year of hourly buckets read at interval=day (≤ 50 ms), and
 * /all/history over 1,000 keystems × 30 days at interval=day (≤ 1 s). A read is timed as the
 * route does it: the calendar's buckets, the store's query, the points' report.
 */

const HISTORY_KEYSTEMS = Number(process.env.BENCH_HISTORY_KEYSTEMS ?? 1000);
const HISTORY_DAYS = Number(process.env.BENCH_HISTORY_DAYS ?? 30);
const DAY_MS = 24 * HOUR_MS;
/** History starts on 2025-01-06 (a Monday), far from any other bench data. */
const T0 = Date.UTC(2025, 0, 6);
const BATCH = 1000;

export interface HistoryBenchRow {
  what: string;
  points: number;
  median: number;
  min: number;
  max: number;
  targetMs: number;
}

/** `make(i)` with its keystem and acceptance time replaced. */
type MakeEvent = (i: number) => PackEvent;

async function fillHours(
  store: StatsStore,
  events: number,
  make: MakeEvent,
  place: (i: number) => { keystem: string; at: number },
) {
  for (let from = 0; from < events; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, events - from) }, (_, j) => {
      const e = make(from + j);
      const { keystem, at } = place(from + j);
      return { ...e, keystem, at, stats: { ...e.stats, usedKeystem: keystem } };
    });
    await store.applyBatch(batch);
  }
}

async function time(
  runs: number,
  read: () => Promise<number>,
): Promise<Omit<HistoryBenchRow, 'what' | 'targetMs'>> {
  const ms: number[] = [];
  let points = 0;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    points = await read();
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  return {
    points,
    median: ms[Math.floor(ms.length / 2)] as number,
    min: ms[0] as number,
    max: ms.at(-1) as number,
  };
}

export async function benchHistory(
  store: StatsStore,
  make: MakeEvent,
  runs: number,
): Promise<HistoryBenchRow[]> {
  const rows: HistoryBenchRow[] = [];
  const yearHours = 365 * 24;
  await fillHours(store, yearHours, make, (i) => ({ keystem: 'history-year', at: T0 + i * HOUR_MS + 1 }));
  for (const tz of ['UTC', 'America/New_York']) {
    const zone = Zone.of(tz);
    const read = async (interval: Interval) => {
      const buckets = bucketsOf(T0, T0 + 365 * DAY_MS, interval, zone);
      const totals = await store.getKeystemHistory('history-year', buckets);
      return totals.map((t, i) => historyPoint(zone.iso(buckets[i]!.start), t)).length;
    };
    rows.push({
      what: `1 keystem × 1 year, interval=day, tz=${tz}`,
      ...(await time(runs, () => read('day'))),
      targetMs: 50,
    });
  }
  const hours = HISTORY_DAYS * 24;
  await fillHours(store, HISTORY_KEYSTEMS * hours, make, (i) => ({
    keystem: `history-${String(i % HISTORY_KEYSTEMS).padStart(4, '0')}`,
    at: T0 + Math.floor(i / HISTORY_KEYSTEMS) * HOUR_MS + 1,
  }));
  const zone = Zone.of('UTC');
  const readAll = async () => {
    const buckets = bucketsOf(T0, T0 + HISTORY_DAYS * DAY_MS, 'day', zone);
    const totals = await store.getSummaryHistory(buckets);
    return totals.map((t, i) => summaryHistoryPoint(zone.iso(buckets[i]!.start), t)).length;
  };
  rows.push({
    what: `/all/history, ${fixed(HISTORY_KEYSTEMS)} keystems × ${HISTORY_DAYS} days, interval=day`,
    ...(await time(runs, readAll)),
    targetMs: 1000,
  });
  return rows;
}
