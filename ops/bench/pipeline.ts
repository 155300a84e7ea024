import Database from 'better-sqlite3';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NEW_DEPLOYMENT_SHARDS } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { encodeJob, jobName } from '../../src/queue/event-codec';
import { Outbox } from '../../src/queue/outbox';
import { QueueSink } from '../../src/queue/producer';
import { STATS_JOB_OPTIONS, createShardQueues } from '../../src/queue/queues';
import { createRedis, parseNodeList, type RedisClient, type RedisTarget } from '../../src/queue/redis';
import { shardLayout, shardOf } from '../../src/queue/shard';
import { newEventId } from '../../src/stats/event-id';
import type { PackEvent } from '../../src/stats/types';
import { SqliteStore } from '../../src/store/sqlite';
import { ChildService } from './lib/child';
import { freePort, portOpen } from './lib/net';
import { PrivateRedis, PrivateRedisCluster } from './lib/redis';
import { fixed, formatTable } from './lib/table';
import { Teardown } from './lib/teardown';
import { evaluatePipelineTargets, printVerdicts, type PipelineFigures } from './target-table';
import { WORKER_NODE_OPTIONS } from '../../src/lifecycle/heap';

/**
 * `npm run bench:pipeline`: the stats pipeline against BullMQ's own ceiling, on one private
 * redis-server, in one run.
 * - drain: EVENTS events in jobs waiting in the 16 shard queues (paused while filled), then
 *   resumed; time until every queue is empty, with one and with two worker processes (SQLite
 *   store, synchronous=FULL, ledger) — and the store must then hold exactly EVENTS requests.
 *   The judged drains carry as many events per job as the proxy's group commit makes (see
 *   EVENTS_PER_JOB); one Pacproxy worker and BullMQ also drain jobs of DENSE_EVENTS_PER_JOB,
 *   reported beside them;
 * - cluster: the same drain with two worker processes on a Redis Cluster of three masters (one
 *   replica each, AOF on every node), so the cost of the cluster client is measured;
 * - baseline: the same number of the same jobs in one queue, drained by BullMQ's default
 *   Worker (concurrency 100, no-op processor) in its own process;
 * - store writes per flush: keystem rows and count rows written (SQLite triggers count them)
 *   against the flushes the workers report;
 * - freshness: a steady RATE events/s through the proxy's sink (QueueSink) with two workers;
 *   probe events, one per shard every 200 ms, timed from accepted (record resolved) to visible
 *   in the store.
 * The drains run in BENCH_ROUNDS alternating rounds (default 2) and each keeps its best, so a
 * busy moment of the machine does not decide a ratio. BENCH_EVENTS, BENCH_RATE and
 * BENCH_FRESHNESS_SECONDS change the sizes.
 */

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const KEYSTEMS = 200;
/** as a new deployment runs them */
const SHARDS = NEW_DEPLOYMENT_SHARDS;
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const FRESHNESS_SECONDS = Number(process.env.BENCH_FRESHNESS_SECONDS ?? 15);
/**
 * Events per job of the judged drains when bench:pipeline runs alone: what the proxy's group
 * commit makes at its capacity, as bench:proxy measures it (its Redis rows: 2.5–2.7 here, the 4
 * shards of a new deployment, 64 API keys). `npm run bench` passes the figure its own proxy run
 * measured instead.
 */
const EVENTS_PER_JOB = Number(process.env.BENCH_EVENTS_PER_JOB ?? 2.6);
/**
 * Denser jobs than the proxy makes, drained too and reported: BullMQ's Worker costs per job, so
 * they favour it, and Pacproxy's own per-event cost (the store) then decides.
 */
const DENSE_EVENTS_PER_JOB = 4;

const log = createLogger('warn');
const keystems = Array.from({ length: KEYSTEMS }, (_, i) => `bench-${String(i).padStart(4, '0')}`);

/** A pack event as the proxy makes it for the bench order. */
export function packEvent(keystem: string): PackEvent {
  const at = Date.now();
  return {
    kind: 'pack',
    eventId: newEventId(),
    keystem,
    at,
    stats: {
      usedKeystem: keystem,
      totalItems: 34,
      totalVolume: 2840,
      volumeUtilization: 0.71,
      boxTypes: { small: 1, medium: 2 },
      timeStamp: new Date(at).toISOString(),
      cacheHit: false,
      requestError: false,
      errorResponse: false,
      statusCode: '200',
      latency: 12_000_000,
      totalCost: 1840,
      boxes: 3,
      leftovers: 0,
      totalWeight: 21.5,
      packTime: 0.004,
      boxTypeStats: {
        small: { volumeUtilizationSum: 0.8, volumeUtilizationCount: 1, totalCost: 440 },
        medium: { volumeUtilizationSum: 1.3, volumeUtilizationCount: 2, totalCost: 1400 },
      },
      boxTypeChoiceGoalUsed: 'lowest-cost',
      warnings: 0,
    },
  };
}

export interface DrainResult {
  label: string;
  /** the jobs' mean number of events */
  eventsPerJob: number;
  seconds: number;
  rate: number;
  flushes?: number;
  keystemWrites?: number;
  /** the most writes one keystem's row got in one flush (flushes told apart by updated_at) */
  maxKeystemWritesPerFlush?: number;
  /** the same for a keystem-hour's row (history) */
  maxHourWritesPerFlush?: number;
  countWrites?: number;
  counted?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fill(
  queues: readonly Queue[],
  pick: (keystem: string) => Queue,
  eventsPerJob: number,
): Promise<void> {
  await Promise.all(queues.map((q) => q.pause()));
  for (let i = 0; i < EVENTS; i += 1000) {
    const byQueue = new Map<Queue, PackEvent[]>();
    for (let j = i; j < Math.min(EVENTS, i + 1000); j++) {
      const event = packEvent(keystems[j % KEYSTEMS]!);
      const queue = pick(event.keystem);
      if (!byQueue.has(queue)) byQueue.set(queue, []);
      byQueue.get(queue)!.push(event);
    }
    await Promise.all(
      [...byQueue].map(([q, events]) =>
        q.addBulk(
          chunks(events, eventsPerJob).map((chunk) => ({
            name: jobName(chunk),
            data: encodeJob(chunk),
            opts: STATS_JOB_OPTIONS,
          })),
        ),
      ),
    );
  }
}

/**
 * Splits into jobs of `size` events on average: a fractional size mixes the two whole sizes
 * around it (1.3: jobs of 1 and 2 events, three in ten of 2), as group commit makes them.
 */
function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let from = 0, k = 1; from < list.length; k++) {
    const to = Math.max(from + 1, Math.round(k * size));
    out.push(list.slice(from, to));
    from = to;
  }
  return out;
}

/**
 * Resumes the queues and answers the seconds until none holds a job. The clock starts once an
 * AOF rewrite of what the fill wrote is over: Redis rewrites its AOF when it has doubled, and a
 * rewrite's fork (then a copy of every memory page Redis writes to) landed at random in one
 * drain or another, moving a drain's ratio by a quarter between runs of the same code.
 */
async function drain(redis: RedisClient, queues: readonly Queue[]): Promise<number> {
  await aofRewritten(redis);
  const started = process.hrtime.bigint();
  await Promise.all(queues.map((q) => q.resume()));
  for (;;) {
    const counts = await Promise.all(
      queues.map((q) => q.getJobCounts('wait', 'active', 'paused', 'prioritized')),
    );
    if (counts.every((c) => Object.values(c).every((n) => n === 0))) break;
    await sleep(50);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Rewrites the AOF of every node (masters and replicas) and waits until none is rewriting. */
async function aofRewritten(redis: RedisClient): Promise<void> {
  const nodes = 'nodes' in redis ? redis.nodes('all') : [redis];
  await Promise.all(
    nodes.map(async (node) => {
      // refused while a rewrite runs already: that one is waited for instead
      await node.bgrewriteaof().catch(() => undefined);
      while (/aof_rewrite_(in_progress|scheduled):1/.test(await node.info('persistence'))) await sleep(50);
    }),
  );
}

/** The target of REDIS_CLUSTER_NODES=seeds. */
function clusterTargetOf(seeds: string): RedisTarget {
  return { shape: 'cluster', nodes: parseNodeList(seeds).nodes, tls: false };
}

/** The settings that name the Redis to a worker process. */
function redisEnv(target: RedisTarget): NodeJS.ProcessEnv {
  switch (target.shape) {
    case 'node':
      return { REDIS_URL: target.url };
    case 'cluster':
      return { REDIS_CLUSTER_NODES: target.nodes.map((n) => `${n.host}:${n.port}`).join(',') };
    case 'sentinel':
      throw new Error('the pipeline bench runs on one node or a Cluster');
  }
}

/** FLUSHALL on every master (a Cluster client sends a keyless command to one node only). */
async function flushAll(redis: RedisClient): Promise<void> {
  if ('nodes' in redis) await Promise.all(redis.nodes('master').map((n) => n.flushall()));
  else await redis.flushall();
}

async function startWorkers(
  n: number,
  target: RedisTarget,
  sqlitePath: string,
): Promise<Array<{ svc: ChildService; port: number }>> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const port = await freePort();
      const svc = await ChildService.startScript('dist/bin/worker.js', {
        name: `worker-${i + 1}`,
        nodeOptions: WORKER_NODE_OPTIONS,
        env: {
          ...redisEnv(target),
          SQLITE_PATH: sqlitePath,
          SHARDS: String(SHARDS),
          METRICS_PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
        },
        ready: () => portOpen(port),
      });
      return { svc, port };
    }),
  );
}

/** Every shard leased, split evenly over `owners` workers (the handovers of their start are over). */
async function leasesBalanced(redis: RedisClient, owners: number): Promise<boolean> {
  const values = await Promise.all(
    Array.from({ length: SHARDS }, (_, s) => redis.get(shardLayout(s).leaseKey)),
  );
  if (values.some((v) => v === null)) return false;
  const held = new Map<string | null, number>();
  for (const v of values) held.set(v, (held.get(v) ?? 0) + 1);
  return held.size === owners && [...held.values()].every((n) => n === SHARDS / owners);
}

async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** A fresh database with triggers counting the rows the flushes write. */
async function preparedStore(file: string): Promise<void> {
  const store = new SqliteStore({ path: file });
  await store.init();
  await store.close();
  const db = new Database(file);
  db.exec(`CREATE TABLE bench_writes (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL);`);
  // each flush stamps the rows it writes with its own updated_at: writes per (keystem, flush)
  db.exec(`CREATE TABLE bench_keystem_flushes (keystem TEXT, flush TEXT, n INTEGER NOT NULL,
    PRIMARY KEY (keystem, flush));`);
  for (const op of ['INSERT', 'UPDATE']) {
    db.exec(`CREATE TRIGGER bench_keystem_flush_${op} AFTER ${op} ON keystems BEGIN
      INSERT INTO bench_keystem_flushes VALUES (NEW.keystem, NEW.updated_at, 1)
      ON CONFLICT (keystem, flush) DO UPDATE SET n = n + 1; END;`);
  }
  // a keystem-hour's row is written after its keystem's in the same flush: keyed by that stamp
  db.exec(`CREATE TABLE bench_hour_flushes (keystem TEXT, hour INTEGER, flush TEXT, n INTEGER NOT NULL,
    PRIMARY KEY (keystem, hour, flush));`);
  for (const op of ['INSERT', 'UPDATE']) {
    db.exec(`CREATE TRIGGER bench_hour_flush_${op} AFTER ${op} ON keystem_hours BEGIN
      INSERT INTO bench_hour_flushes
        VALUES (NEW.keystem, NEW.hour, (SELECT updated_at FROM keystems WHERE keystem = NEW.keystem), 1)
      ON CONFLICT (keystem, hour, flush) DO UPDATE SET n = n + 1; END;`);
  }
  for (const table of ['keystems', 'keystem_entries']) {
    for (const op of ['INSERT', 'UPDATE']) {
      db.exec(`CREATE TRIGGER bench_${table}_${op} AFTER ${op} ON ${table} BEGIN
        INSERT INTO bench_writes VALUES ('${table}', 1) ON CONFLICT (tbl) DO UPDATE SET n = n + 1; END;`);
    }
  }
  db.close();
}

function readWrites(file: string): {
  keystems: number;
  counts: number;
  requests: number;
  maxPerKeystemFlush: number;
  maxPerHourFlush: number;
} {
  const db = new Database(file, { readonly: true });
  const n = (tbl: string) =>
    (db.prepare('SELECT n FROM bench_writes WHERE tbl = ?').get(tbl) as { n: number } | undefined)?.n ?? 0;
  const requests = (db.prepare('SELECT SUM(total_requests) AS n FROM keystems').get() as { n: number }).n;
  const most = (table: string) =>
    (db.prepare(`SELECT MAX(n) AS n FROM ${table}`).get() as { n: number | null }).n ?? 0;
  const result = {
    keystems: n('keystems'),
    counts: n('keystem_entries'),
    requests,
    maxPerKeystemFlush: most('bench_keystem_flushes'),
    maxPerHourFlush: most('bench_hour_flushes'),
  };
  db.close();
  return result;
}

async function benchWorkers(
  n: number,
  target: RedisTarget,
  redis: RedisClient,
  dir: string,
  eventsPerJob: number,
): Promise<DrainResult> {
  await flushAll(redis);
  const file = path.join(dir, `drain-${n}-${randomUUID()}.db`);
  await preparedStore(file);
  const queues = createShardQueues(redis, SHARDS);
  await fill(queues, (k) => queues[shardOf(k, SHARDS)]!, eventsPerJob);
  const workers = await startWorkers(n, target, file);
  try {
    while (!(await leasesBalanced(redis, n))) await sleep(50);
    const seconds = await drain(redis, queues);
    const flushes = (
      await Promise.all(workers.map((w) => metricSum(w.port, 'pacproxy_flush_duration_seconds_count')))
    ).reduce((a, b) => a + b, 0);
    await Promise.all(workers.map((w) => w.svc.stop()));
    const writes = readWrites(file);
    return {
      label: `pacproxy, ${n} worker process${n > 1 ? 'es' : ''}${target.shape === 'cluster' ? ', Redis Cluster (3 masters)' : ''}`,
      eventsPerJob,
      seconds,
      rate: EVENTS / seconds,
      flushes,
      keystemWrites: writes.keystems,
      maxKeystemWritesPerFlush: writes.maxPerKeystemFlush,
      maxHourWritesPerFlush: writes.maxPerHourFlush,
      countWrites: writes.counts,
      counted: writes.requests,
    };
  } finally {
    await Promise.all(workers.map((w) => w.svc.stop()));
    await Promise.all(queues.map((q) => q.close()));
  }
}

async function benchBaseline(
  redisUrl: string,
  redis: RedisClient,
  eventsPerJob: number,
): Promise<DrainResult> {
  await redis.flushall();
  const [queue] = createShardQueues(redis, 1);
  await fill([queue!], () => queue!, eventsPerJob);
  const svc = await ChildService.startScript('dist/ops/bench/noop-worker.js', {
    name: 'bullmq-noop-worker',
    env: { BENCH_REDIS_URL: redisUrl, BENCH_QUEUE: queue!.name, BENCH_PREFIX: shardLayout(0).prefix },
    ready: async () => (await queue!.getWorkersCount()) > 0,
  });
  try {
    const seconds = await drain(redis, [queue!]);
    return { label: 'BullMQ Worker, concurrency 100, no-op', eventsPerJob, seconds, rate: EVENTS / seconds };
  } finally {
    await svc.stop();
    await queue!.close();
  }
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** One probe keystem per shard, so every shard's flush loop is sampled. */
function probeKeystems(): string[] {
  const probes = new Map<number, string>();
  for (let i = 0; probes.size < SHARDS; i++) {
    const k = `probe-${i}`;
    if (!probes.has(shardOf(k, SHARDS))) probes.set(shardOf(k, SHARDS), k);
  }
  return [...probes.values()];
}

async function benchFreshness(redisUrl: string, redis: RedisClient, dir: string): Promise<number[]> {
  await redis.flushall();
  const file = path.join(dir, 'freshness.db');
  await preparedStore(file);
  const queues = createShardQueues(redis, SHARDS);
  const outbox = await Outbox.open({ dir: path.join(dir, 'outbox'), logger: log });
  const sink = new QueueSink({ redis, queues, outbox, enqueueTimeoutMs: 500, logger: log });
  const workers = await startWorkers(2, { shape: 'node', url: redisUrl }, file);
  const reader = new Database(file, { readonly: true });
  const lookup = reader.prepare('SELECT total_requests AS n FROM keystems WHERE keystem = ?');
  const probes = probeKeystems();
  const accepted = new Map<string, number[]>(probes.map((k) => [k, []]));
  const seen = new Map<string, number>(probes.map((k) => [k, 0]));
  const latencies: number[] = [];
  try {
    while (!(await leasesBalanced(redis, 2))) await sleep(50);
    const end = Date.now() + FRESHNESS_SECONDS * 1000;
    let sent = 0;
    const startedAt = Date.now();
    const load = setInterval(() => {
      const due = Math.floor(((Date.now() - startedAt) / 1000) * RATE) - sent;
      for (let i = 0; i < due; i++) void sink.record(packEvent(keystems[(sent + i) % KEYSTEMS]!));
      sent += Math.max(0, due);
    }, 5);
    const probe = setInterval(() => {
      for (const k of probes) {
        void sink.record(packEvent(k)).then(() => accepted.get(k)!.push(Date.now()));
      }
    }, 200);
    const poll = () => {
      const now = Date.now();
      for (const k of probes) {
        const visible = (lookup.get(k) as { n: number } | undefined)?.n ?? 0;
        const times = accepted.get(k)!;
        for (let i = seen.get(k)!; i < Math.min(visible, times.length); i++) latencies.push(now - times[i]!);
        seen.set(k, Math.max(seen.get(k)!, Math.min(visible, times.length)));
      }
    };
    while (Date.now() < end) {
      poll();
      await sleep(10);
    }
    clearInterval(load);
    clearInterval(probe);
    const waitUntil = Date.now() + 10_000;
    while (probes.some((k) => seen.get(k)! < accepted.get(k)!.length) && Date.now() < waitUntil) {
      poll();
      await sleep(10);
    }
    return latencies.sort((a, b) => a - b);
  } finally {
    reader.close();
    await Promise.all(workers.map((w) => w.svc.stop()));
    await sink.close();
    await outbox.close();
    await Promise.all(queues.map((q) => q.close()));
  }
}

/** The figures `npm run bench` judges the pipeline targets by (ops/bench/targets.ts). */
export interface PipelineBenchResult {
  events: number;
  /** the judged drains, in jobs of as many events as the proxy makes */
  baseline: DrainResult;
  one: DrainResult;
  two: DrainResult;
  /** two workers on a Redis Cluster of three masters */
  cluster: DrainResult;
  /** BullMQ and one Pacproxy worker draining jobs of DENSE_EVENTS_PER_JOB (reported) */
  dense: { baseline: DrainResult; one: DrainResult };
  /** the steady rate of the freshness run, events/s */
  freshnessRate: number;
  /** accepted → visible in the store, ms, sorted */
  freshness: number[];
}

/**
 * Runs the whole pipeline bench, prints its tables and returns its figures. `eventsPerJob`: of
 * the judged drains (`npm run bench` passes what its proxy run measured).
 */
export async function runPipelineBench(eventsPerJob = EVENTS_PER_JOB): Promise<PipelineBenchResult> {
  const teardown = new Teardown();
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-bench-pipeline-'));
    teardown.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
    const server = await PrivateRedis.start();
    teardown.add('redis-server', () => server.stop());
    const redis = createRedis(server.url, 'worker', 'bench', log);
    teardown.add('redis connection', () => redis.disconnect());
    const clusterServers = await PrivateRedisCluster.start(3);
    teardown.add('redis cluster', () => clusterServers.stop());
    const clusterTarget = clusterTargetOf(clusterServers.seeds);
    const clusterRedis = createRedis(clusterTarget, 'worker', 'bench-cluster', log);
    teardown.add('redis cluster connection', () => clusterRedis.disconnect());
    const node: RedisTarget = { shape: 'node', url: server.url };

    process.stdout.write(
      `pipeline bench: ${EVENTS} events in jobs of ${eventsPerJob} (and of ${DENSE_EVENTS_PER_JOB}), ` +
        `${KEYSTEMS} keystems, ${SHARDS} shards, best of ${ROUNDS} rounds\n`,
    );
    // alternating rounds, best of each: the three drains see the same (shared) machine
    let baseline: DrainResult | undefined;
    let one: DrainResult | undefined;
    let two: DrainResult | undefined;
    let cluster: DrainResult | undefined;
    let denseBaseline: DrainResult | undefined;
    let denseOne: DrainResult | undefined;
    const best = (a: DrainResult | undefined, b: DrainResult) => (a && a.rate >= b.rate ? a : b);
    for (let round = 0; round < ROUNDS; round++) {
      baseline = best(baseline, await benchBaseline(server.url, redis, eventsPerJob));
      one = best(one, await benchWorkers(1, node, redis, dir, eventsPerJob));
      two = best(two, await benchWorkers(2, node, redis, dir, eventsPerJob));
      cluster = best(cluster, await benchWorkers(2, clusterTarget, clusterRedis, dir, eventsPerJob));
      denseBaseline = best(denseBaseline, await benchBaseline(server.url, redis, DENSE_EVENTS_PER_JOB));
      denseOne = best(denseOne, await benchWorkers(1, node, redis, dir, DENSE_EVENTS_PER_JOB));
    }
    if (!baseline || !one || !two || !cluster || !denseBaseline || !denseOne) {
      throw new Error('BENCH_ROUNDS must be at least 1');
    }
    const fresh = await benchFreshness(server.url, redis, dir);

    // each drain beside the BullMQ drain of the same jobs
    const paired: Array<[DrainResult, DrainResult]> = [
      ...[baseline, one, two, cluster].map((r): [DrainResult, DrainResult] => [r, baseline]),
      ...[denseBaseline, denseOne].map((r): [DrainResult, DrainResult] => [r, denseBaseline]),
    ];
    const rows = paired.map(([r, base]) => [
      r.label,
      fixed(r.eventsPerJob, 2),
      fixed(r.seconds, 2),
      fixed(r.rate),
      `${fixed(r.rate / base.rate, 2)}×`,
      fixed(r.flushes),
      r.flushes ? fixed((r.keystemWrites ?? 0) / r.flushes, 1) : '-',
      r.flushes ? fixed((r.countWrites ?? 0) / r.flushes, 1) : '-',
      r.counted === undefined ? '-' : r.counted === EVENTS ? 'exact' : `WRONG: ${r.counted}`,
    ]);
    process.stdout.write(
      `\n${formatTable(
        [
          'drain',
          'events/job',
          'seconds',
          'events/s',
          'vs BullMQ',
          'flushes',
          'keystem rows/flush',
          'map-entry rows/flush',
          'store total',
        ],
        rows,
      )}\n`,
    );
    const perShard = KEYSTEMS / SHARDS;
    process.stdout.write(
      `(a flush of one shard touches at most ~${fixed(perShard, 1)} keystems here: keystem rows/flush ≤ that means ≤ 1 write per keystem per flush;\n` +
        ` map-entry rows: one per keystem, map and key, a refId's box-type figures sharing its row)\n`,
    );
    process.stdout.write(
      `most writes to one keystem's row in one flush: ${fixed(one.maxKeystemWritesPerFlush)} (1 worker), ` +
        `${fixed(two.maxKeystemWritesPerFlush)} (2 workers); to one keystem-hour's row: ` +
        `${fixed(one.maxHourWritesPerFlush)} (1 worker), ${fixed(two.maxHourWritesPerFlush)} (2 workers)\n`,
    );
    process.stdout.write(
      `\nfreshness at ${RATE} events/s with 2 workers (accepted → visible in the store), ${fresh.length} probes:` +
        ` p50 ${fixed(percentile(fresh, 50))} ms, p99 ${fixed(percentile(fresh, 99))} ms, max ${fixed(fresh.at(-1))} ms\n`,
    );
    return {
      events: EVENTS,
      baseline,
      one,
      two,
      cluster,
      dense: { baseline: denseBaseline, one: denseOne },
      freshnessRate: RATE,
      freshness: fresh,
    };
  } finally {
    await teardown.run();
  }
}

/** The figures the pipeline targets are judged by (target-table.ts). */
export function pipelineFigures(r: PipelineBenchResult): PipelineFigures {
  const { one, two, dense } = r;
  return {
    eventsPerJob: one.eventsPerJob,
    baselineRate: r.baseline.rate,
    drainRate: one.rate,
    dense: {
      eventsPerJob: dense.one.eventsPerJob,
      baselineRate: dense.baseline.rate,
      drainRate: dense.one.rate,
    },
    exact: [one, two, dense.one].every((d) => d.counted === r.events),
    flushes: (one.flushes ?? 0) + (two.flushes ?? 0),
    maxKeystemWritesPerFlush: Math.max(
      one.maxKeystemWritesPerFlush ?? Infinity,
      two.maxKeystemWritesPerFlush ?? Infinity,
    ),
    maxHourWritesPerFlush: Math.max(
      one.maxHourWritesPerFlush ?? Infinity,
      two.maxHourWritesPerFlush ?? Infinity,
    ),
    freshnessRate: r.freshnessRate,
    freshnessP99Ms: percentile(r.freshness, 99),
  };
}

if (require.main === module) {
  runPipelineBench()
    .then((r) => printVerdicts('pipeline targets', evaluatePipelineTargets(pipelineFigures(r))))
    .catch((err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
