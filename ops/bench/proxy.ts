import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildService } from './lib/child';
import { runLoad, type LoadResult } from './lib/load';
import { answersOk, freePort, portOpen } from './lib/net';
import { BENCH_HEADERS, BENCH_KEYSTEM, BENCH_ORDER } from './lib/order';
import { cpuSeconds, memory, type Memory } from './lib/proc';
import { PrivateRedis } from './lib/redis';
import { fixed, formatTable } from './lib/table';
import { Teardown } from './lib/teardown';

/**
 * `npm run bench:proxy`: what Pacproxy costs over a bare Node proxy, on this machine, in one run.
 *
 * Processes (each on a free port, all stopped at the end): the Paccurate simulator (images on,
 * a fixed small latency); the bare node:http pass-through to it (the ceiling for a Node proxy);
 * the full pipeline — a private redis-server, the proxy (`dist/bin/pacproxy.js proxy`, cache off)
 * and a worker (`dist/bin/worker.js`, SQLite in a temp folder). autocannon runs here.
 * Figures are printed, never asserted. BENCH_SECONDS and BENCH_CONNECTIONS adjust the runs.
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = 2;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** runs per target, round-robin across the targets; the median run stands for each */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIM_LATENCY_MS = 5;
/** how long the worker may take to fold the last events into the store after the load stops */
const CATCH_UP_TIMEOUT_MS = 30_000;

interface Target {
  name: string;
  url: string;
  /** the process that serves the target: its CPU time is the target's cost */
  pid: number;
  /** processes that work per request behind it (Pacproxy's worker and Redis) */
  behind?: number[];
}

export interface Measured extends LoadResult {
  cpuMsPerRequest: number;
  behindCpuMsPerRequest?: number;
}

/** The figures `npm run bench` judges the proxy targets by (ops/bench/targets.ts). */
export interface ProxyBenchResult {
  bare: Measured;
  root: Measured;
  pack: Measured;
  /** the fixed rate of the latency comparison: half of POST /'s capacity */
  rate: number;
  bareAtRate: Measured;
  rootAtRate: Measured;
}

export interface Stack {
  sim: Target;
  bare: Target;
  root: Target;
  pack: Target;
  proxy: ChildService;
  bareService: ChildService;
  proxyUrl: string;
  worker: ChildService;
  redis: PrivateRedis;
}

/** Runs the whole proxy bench, prints its tables and returns its figures. */
export async function runProxyBench(): Promise<ProxyBenchResult> {
  const teardown = new Teardown();
  process.once('SIGINT', () => void teardown.run().then(() => process.exit(130)));
  try {
    const stack = await startStack(teardown);
    return await report(stack);
  } finally {
    await teardown.run();
  }
}

/** Starts every process, registering each with `teardown` as soon as it exists. */
export async function startStack(teardown: Teardown): Promise<Stack> {
  const simPort = await freePort();
  const sim = await ChildService.startScript('dist/bin/simulator.js', {
    name: 'simulator',
    env: { SIM_PORT: String(simPort), SIM_LATENCY_MS: String(SIM_LATENCY_MS), SIM_IMAGES: 'true' },
    ready: () => portOpen(simPort),
  });
  teardown.add('simulator', () => sim.stop());
  const simUrl = `http://127.0.0.1:${simPort}/`;

  const barePort = await freePort();
  const bare = await ChildService.startScript('dist/ops/bench/passthrough.js', {
    name: 'pass-through',
    env: { PASSTHROUGH_PORT: String(barePort), UPSTREAM_URL: simUrl },
    ready: () => portOpen(barePort),
  });
  teardown.add('pass-through', () => bare.stop());

  const redis = await PrivateRedis.start();
  teardown.add('redis-server', () => redis.stop());
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-bench-'));
  teardown.add('data folder', () => rmSync(dataDir, { recursive: true, force: true }));
  const pipelineEnv = {
    REDIS_URL: redis.url,
    STORE: 'sqlite',
    SQLITE_PATH: path.join(dataDir, 'pacproxy.db'),
    OUTBOX_DIR: path.join(dataDir, 'outbox'),
    PACCURATE_URL: simUrl,
    CACHE_TTL_SECONDS: '0',
    // the production default: one log line per request (written to a file, see ChildService)
    LOG_LEVEL: 'info',
  };

  const metricsPort = await freePort();
  const worker = await ChildService.startScript('dist/bin/worker.js', {
    name: 'worker',
    env: { ...pipelineEnv, METRICS_PORT: String(metricsPort) },
    ready: () => answersOk(`http://127.0.0.1:${metricsPort}/metrics`),
  });
  teardown.add('worker', () => worker.stop());

  const proxyPort = await freePort();
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const proxy = await ChildService.startScript('dist/bin/pacproxy.js', {
    name: 'proxy',
    args: ['proxy'],
    env: { ...pipelineEnv, PORT: String(proxyPort), HOST: '127.0.0.1' },
    ready: () => answersOk(`${proxyUrl}/readyz`),
  });
  teardown.add('proxy', () => proxy.stop());

  const behind = [worker.pid, redis.service.pid];
  return {
    sim: { name: 'simulator direct', url: simUrl, pid: sim.pid },
    bare: { name: 'bare pass-through', url: `http://127.0.0.1:${barePort}/`, pid: bare.pid },
    root: { name: 'Pacproxy POST /', url: `${proxyUrl}/`, pid: proxy.pid, behind },
    pack: { name: 'Pacproxy POST /pack', url: `${proxyUrl}/pack`, pid: proxy.pid, behind },
    proxy,
    bareService: bare,
    proxyUrl,
    worker,
    redis,
  };
}

/** One autocannon run against a target, with the CPU its processes used per 2xx answer. */
async function measure(target: Target, overallRate?: number): Promise<Measured> {
  const pids = [target.pid, ...(target.behind ?? [])];
  const before = pids.map(cpuSeconds);
  const load = await runLoad({
    url: target.url,
    body: BENCH_ORDER,
    headers: BENCH_HEADERS,
    connections: CONNECTIONS,
    seconds: SECONDS,
    overallRate,
  });
  const used = pids.map((pid, i) => cpuSeconds(pid) - before[i]!);
  const perRequest = (seconds: number) => (seconds * 1000) / Math.max(load.ok, 1);
  return {
    ...load,
    cpuMsPerRequest: perRequest(used[0]!),
    behindCpuMsPerRequest: target.behind ? perRequest(used.slice(1).reduce((a, b) => a + b, 0)) : undefined,
  };
}

/** A short unmeasured run, so the JIT and the connection pools are warm. */
async function warm(target: Target): Promise<void> {
  await runLoad({
    url: target.url,
    body: BENCH_ORDER,
    headers: BENCH_HEADERS,
    connections: CONNECTIONS,
    seconds: WARMUP_SECONDS,
  });
}

/**
 * ROUNDS runs of each target, round-robin, so a burst of other work on this shared machine
 * falls on one run of each rather than on one target; per target, the run with the median
 * `by` stands for it (a whole run, so its figures stay consistent with each other).
 */
async function medianRuns(
  targets: readonly Target[],
  by: (m: Measured) => number,
  overallRate?: number,
): Promise<Measured[]> {
  const runs: Measured[][] = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, target] of targets.entries()) runs[i]!.push(await measure(target, overallRate));
  }
  return runs.map((r) => [...r].sort((a, b) => by(a) - by(b))[Math.floor((r.length - 1) / 2)]!);
}

async function report(stack: Stack): Promise<ProxyBenchResult> {
  const answerBytes = await responseBytes(stack.sim.url);
  console.log(
    `bench:proxy on ${os.cpus().length} CPU(s), load average ${os.loadavg()[0]!.toFixed(2)}, Node ${process.version}; ` +
      `${SECONDS} s runs after ${WARMUP_SECONDS} s warm-up, median of ${ROUNDS} round-robin runs, ` +
      `${CONNECTIONS} connections; simulator latency ` +
      `${SIM_LATENCY_MS} ms, images on (${fixed(answerBytes)} B answers); Pacproxy cache off, logs at info.\n` +
      'autocannon, the simulator, the proxies, Redis and the worker share this machine.\n',
  );

  const memoryAtStart = { proxy: memory(stack.proxy.pid), bare: memory(stack.bareService.pid) };
  const targets = [stack.sim, stack.bare, stack.root, stack.pack];
  for (const target of targets) await warm(target);
  process.stderr.write(`measuring ${targets.map((t) => t.name).join(', ')}…\n`);
  const medians = await medianRuns(targets, (m) => m.rps);
  const measured = targets.map((t, i) => [t, medians[i]!] as const);
  const bare = measured[1]![1];
  console.log('Throughput (as fast as answers come)');
  console.log(
    formatTable(
      [
        'target',
        'req/s',
        '× bare',
        'p50 ms',
        'p99 ms',
        'p99 × bare',
        'CPU ms/req',
        'pipeline CPU ms/req',
        'failures',
      ],
      measured.map(([t, m]) => [
        t.name,
        fixed(m.rps),
        ratio(m.rps, bare.rps),
        fixed(m.p50, 1),
        fixed(m.p99, 1),
        ratio(m.p99, bare.p99),
        fixed(m.cpuMsPerRequest, 3),
        fixed(m.behindCpuMsPerRequest, 3),
        fixed(m.failures),
      ]),
    ),
  );

  console.log(
    'CPU ms/req: user+system CPU of the serving process per 2xx answer; pipeline: the worker and ' +
      'redis-server behind Pacproxy. failures: non-2xx answers, errors and timeouts.',
  );

  const rate = Math.max(1, Math.round(measured[2]![1].rps / 2));
  process.stderr.write(`measuring at a fixed ${rate} req/s…\n`);
  const [bareAtRate, rootAtRate] = (await medianRuns([stack.bare, stack.root], (m) => m.p99, rate)) as [
    Measured,
    Measured,
  ];
  console.log(
    `\nLatency at a fixed rate: ${rate} req/s (half of Pacproxy POST /'s capacity above), ` +
      `the run with the median p99 of ${ROUNDS} each`,
  );
  console.log(
    formatTable(
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'p99 × bare', 'CPU ms/req'],
      (
        [
          [stack.bare.name, bareAtRate],
          [stack.root.name, rootAtRate],
        ] as const
      ).map(([name, m]) => [
        name,
        fixed(m.rps),
        fixed(m.p50, 1),
        fixed(m.p99, 1),
        ratio(m.p99, bareAtRate.p99),
        fixed(m.cpuMsPerRequest, 3),
      ]),
    ),
  );

  const memoryAtEnd = { proxy: memory(stack.proxy.pid), bare: memory(stack.bareService.pid) };
  console.log('\nMemory (resident set)');
  console.log(
    formatTable(
      ['process', 'before MB', 'after MB', 'peak MB'],
      [
        memoryRow('Pacproxy proxy', memoryAtStart.proxy, memoryAtEnd.proxy),
        memoryRow('bare pass-through', memoryAtStart.bare, memoryAtEnd.bare),
      ],
    ),
  );

  console.log(`\n${await countedLine(stack.proxyUrl)}`);
  return {
    bare,
    root: measured[2]![1],
    pack: measured[3]![1],
    rate,
    bareAtRate,
    rootAtRate,
  };
}

function ratio(value: number, base: number): string {
  return base > 0 ? `${(value / base).toFixed(2)}×` : '-';
}

function memoryRow(name: string, before: Memory, after: Memory): string[] {
  const mb = (bytes: number) => fixed(bytes / 1024 / 1024, 1);
  return [name, mb(before.rss), mb(after.rss), mb(after.peakRss)];
}

/** Size of one simulator answer to the bench order. */
async function responseBytes(simUrl: string): Promise<number> {
  const res = await fetch(simUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...BENCH_HEADERS },
    body: BENCH_ORDER,
  });
  return (await res.arrayBuffer()).byteLength;
}

/**
 * Whether the pipeline kept up: pack requests the proxy answered (its /metrics) against the
 * requests the store has counted for the bench keystem, once the worker has caught up.
 */
async function countedLine(proxyUrl: string): Promise<string> {
  const started = Date.now();
  let answered = 0;
  let counted = 0;
  do {
    // both re-read: requests autocannon abandoned at the end of a run may still be finishing
    answered = await packRequestsAnswered(proxyUrl);
    counted = await countedRequests(proxyUrl);
    if (counted === answered) break;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() - started < CATCH_UP_TIMEOUT_MS);
  const after = ((Date.now() - started) / 1000).toFixed(1);
  return counted === answered
    ? `Pipeline: all ${fixed(answered)} answered pack requests counted in the store ${after} s after the load stopped.`
    : `Pipeline: the store counted ${fixed(counted)} pack requests, the proxy answered ${fixed(answered)} (after ${after} s).`;
}

async function packRequestsAnswered(proxyUrl: string): Promise<number> {
  const text = await (await fetch(`${proxyUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('pacproxy_pack_requests_total{'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function countedRequests(proxyUrl: string): Promise<number> {
  const res = await fetch(`${proxyUrl}/api/keydata/${BENCH_KEYSTEM}`);
  if (!res.ok) return 0;
  return ((await res.json()) as { totalRequests?: number }).totalRequests ?? 0;
}

if (require.main === module) {
  runProxyBench().catch((err: unknown) => {
    console.error(`bench:proxy failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
