import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newEventId } from '../../src/stats/event-id';
import type { PackEvent } from '../../src/stats/types';
import { MongoStore } from '../../src/store/mongo';
import { mongoPort } from '../../src/store/mongo-port';
import { SqliteStore } from '../../src/store/sqlite';
import type { StatsStore } from '../../src/store/types';
import { fixed, formatTable } from './lib/table';
import { benchHistory, type HistoryBenchRow } from './store-history';

/**
 * `npm run bench:store`: how long `GET /api/keydata/all`'s query takes with 10,000 keystems
 * (the design's bar: well under 100 ms). Fills a fresh SQLite file in a temp folder — and, when
 * MONGODB_URL is set, a fresh MongoDB database (dropped after) — with BENCH_KEYSTEMS keystems
 * of BENCH_EVENTS_PER_KEYSTEM events each, then times getSummary BENCH_RUNS times; then the
 * history reads of store-history.ts on the same store. Figures are printed, never asserted.
 */

const KEYSTEMS = Number(process.env.BENCH_KEYSTEMS ?? 10_000);
const EVENTS_PER_KEYSTEM = Number(process.env.BENCH_EVENTS_PER_KEYSTEM ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const BATCH = 1000;
const STATUS = ['200', '200', '200', '200', '422', '500'];

/** Event `i` of the fill: keystems round-robin, a few box types and status codes each. */
function event(i: number): PackEvent {
  const statusCode = STATUS[i % STATUS.length] as string;
  const ok = statusCode === '200';
  return {
    kind: 'pack',
    eventId: newEventId(),
    keystem: `ks-${String(i % KEYSTEMS).padStart(6, '0')}`,
    at: Date.now(),
    stats: {
      usedKeystem: '',
      totalItems: ok ? 1 + (i % 40) : 0,
      totalVolume: ok ? 1000 + (i % 977) : 0,
      volumeUtilization: ok ? (i % 100) / 100 : 0,
      boxTypes: ok ? { [String(i % 7)]: 1 + (i % 3), [String((i + 3) % 11)]: 1 } : {},
      timeStamp: new Date(1_700_000_000_000 + i).toISOString(),
      cacheHit: i % 10 === 0,
      requestError: false,
      errorResponse: !ok,
      statusCode,
      latency: 50_000_000 + ((i * 7919) % 900_000_000),
      totalCost: ok ? 500 + (i % 300) : null,
      boxes: ok ? 2 : 0,
      leftovers: ok ? i % 2 : 0,
      totalWeight: ok ? 10 + (i % 17) : 0,
      packTime: ok ? 0.002 : null,
      boxTypeStats: ok
        ? {
            [String(i % 7)]: { volumeUtilizationSum: 0.5, volumeUtilizationCount: 1, totalCost: 300 },
            [String((i + 3) % 11)]: { volumeUtilizationSum: 0.25, volumeUtilizationCount: 1, totalCost: 200 },
          }
        : {},
      boxTypeChoiceGoalUsed: ok ? 'lowest-cost' : null,
      warnings: i % 13 === 0 ? 1 : 0,
    },
  };
}

async function fill(store: StatsStore): Promise<number> {
  const total = KEYSTEMS * EVENTS_PER_KEYSTEM;
  const started = performance.now();
  for (let from = 0; from < total; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, total - from) }, (_, j) => event(from + j));
    await store.applyBatch(batch);
  }
  return (performance.now() - started) / 1000;
}

async function timeSummary(store: StatsStore): Promise<{ median: number; min: number; max: number }> {
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const started = performance.now();
    const summary = await store.getSummary();
    runs.push(performance.now() - started);
    if (summary.keystems !== KEYSTEMS) throw new Error(`summary counted ${summary.keystems} keystems`);
  }
  runs.sort((a, b) => a - b);
  return {
    median: runs[Math.floor(runs.length / 2)] as number,
    min: runs[0] as number,
    max: runs.at(-1) as number,
  };
}

interface BenchResult {
  summary: string[];
  history: HistoryBenchRow[];
}

async function bench(name: string, store: StatsStore): Promise<BenchResult> {
  await store.init();
  try {
    const fillSeconds = await fill(store);
    const { median, min, max } = await timeSummary(store);
    const events = KEYSTEMS * EVENTS_PER_KEYSTEM;
    return {
      summary: [
        name,
        fixed(KEYSTEMS),
        fixed(events / fillSeconds),
        fixed(median, 1),
        fixed(min, 1),
        fixed(max, 1),
      ],
      history: await benchHistory(store, event, RUNS),
    };
  } finally {
    await store.close();
  }
}

function historyTable(results: [string, BenchResult][]): string {
  const rows = results.flatMap(([name, r]) =>
    r.history.map((h) => [
      name,
      h.what,
      fixed(h.points),
      fixed(h.median, 1),
      fixed(h.min, 1),
      fixed(h.max, 1),
      `≤ ${fixed(h.targetMs)}`,
      name === 'sqlite' ? (h.median <= h.targetMs ? 'PASS' : 'FAIL') : '-',
    ]),
  );
  return formatTable(
    ['store', 'history read', 'points', 'median ms', 'min ms', 'max ms', 'target ms', ''],
    rows,
  );
}

async function main(): Promise<void> {
  const results: [string, BenchResult][] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-bench-store-'));
  try {
    // history kept forever: the bench's hours lie in the past
    const store = new SqliteStore({ path: path.join(dir, 'stats.db'), historyRetentionMs: 0 });
    results.push(['sqlite', await bench('sqlite', store)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const url = process.env.MONGODB_URL;
  if (url) {
    const dbName = `pacproxy_bench_${randomUUID().slice(0, 8)}`;
    const store = new MongoStore({ port: mongoPort(url, dbName), historyRetentionMs: 0 });
    results.push(['mongodb', await bench('mongodb', store)]);
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(url);
    await client.db(dbName).dropDatabase();
    await client.close();
  }
  const header = ['store', 'keystems', 'fill events/s', 'summary median ms', 'min ms', 'max ms'];
  console.log(`getSummary (/api/keydata/all) over ${RUNS} runs, ${EVENTS_PER_KEYSTEM} events per keystem`);
  console.log(
    formatTable(
      header,
      results.map(([, r]) => r.summary),
    ),
  );
  console.log(`\nhistory reads over ${RUNS} runs (calendar + query + report, as the route does)`);
  console.log(historyTable(results));
  if (!url) console.log('(set MONGODB_URL to a replica set to measure MongoDB too)');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
