import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildService } from './lib/child';
import { runLoad, type LoadResult } from './lib/load';
import { answersOk, freePort, portOpen } from './lib/net';
import { Redis } from 'ioredis';
import { WORKER_NODE_OPTIONS } from '../../src/lifecycle/heap';
import { shardLayout } from '../../src/queue/shard';
import { BENCH_API_KEYS, BENCH_HEADERS, BENCH_ORDER } from './lib/order';
import { cpuSeconds, memory, type Memory } from './lib/proc';
import { PrivateRedis, redisCli } from './lib/redis';
import { fixed, formatTable } from './lib/table';
import { Teardown } from './lib/teardown';
import { evaluateProxyTargets, printVerdicts, type ScenarioFigures } from './target-table';

/**
 * `npm run bench:proxy`: what Pacproxy costs over a bare Node proxy, on this machine, in one run,
 * in three scenarios, each with its own processes (free ports, all stopped at the end):
 * - `fast-split` and `fast-one`: the upstream is a tiny fixed-answer server (fixed-upstream.ts,
 *   ~2.5 KB answers, keystems rotating) many times faster than any proxy, so the proxy is the
 *   bottleneck; Pacproxy runs as proxy + worker processes (split) or as one process (`npm start`);
 * - `realistic`: the Paccurate simulator (images on, 5 ms latency) upstream, split layout. On a
 *   small machine the simulator then costs more than either proxy and holds both to its pace.
 * Beside each: the bare node:http pass-through to the same upstream (the ceiling for a Node
 * proxy), a private redis-server, SQLite in a temp folder; autocannon runs here. Redis CPU per
 * accepted event (enqueue + drain) and events per job are read over the whole scenario.
 * BENCH_SCENARIOS (comma-separated), BENCH_SECONDS, BENCH_ROUNDS and BENCH_CONNECTIONS adjust it.
 * Exits 1 when a proxy target fails (target-table.ts).
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = 2;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** runs per target, round-robin across the targets; the median run stands for each */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIM_LATENCY_MS = 5;
/** how long the worker may take to fold the last events into the store after the load stops */
const CATCH_UP_TIMEOUT_MS = 30_000;

export type ScenarioName = 'fast-split' | 'fast-one' | 'realistic';
const SCENARIOS: Record<ScenarioName, { upstream: 'fixed' | 'simulator'; layout: 'split' | 'one' }> = {
  'fast-split': { upstream: 'fixed', layout: 'split' },
  'fast-one': { upstream: 'fixed', layout: 'one' },
  realistic: { upstream: 'simulator', layout: 'split' },
};

/** A process whose CPU time the bench reads. */
interface Proc {
  name: string;
  pid: number;
}

interface Target {
  name: string;
  url: string;
  /** the serving process first, then those that work per request behind it */
  procs: Proc[];
}

export interface Measured extends LoadResult {
  /** CPU ms per 2xx answer of the serving process */
  cpuMsPerRequest: number;
  /** CPU ms per 2xx answer of each process (the serving one and those behind it) */
  cpuMsByProcess: Record<string, number>;
}

/** One scenario's figures (the targets table judges them, target-table.ts). */
export interface ScenarioResult {
  name: ScenarioName;
  bare: Measured;
  root: Measured;
  pack: Measured;
  /** the fixed rate of the latency comparison: half of POST /'s capacity (fast scenarios) */
  rate?: number;
  bareAtRate?: Measured;
  rootAtRate?: Measured;
  /** redis-server CPU µs per accepted event, enqueue and drain, over the whole scenario */
  redisUsPerEvent: number;
  eventsPerJob: number;
  /** every answered pack request was counted in the store */
  exact: boolean;
}

export type ProxyBenchResult = Partial<Record<ScenarioName, ScenarioResult>>;

export interface Stack {
  upstream: Target;
  bare: Target;
  root: Target;
  pack: Target;
  proxy: ChildService;
  /** the worker process (split layout); null when the workers run inside the proxy process */
  worker: ChildService | null;
  bareService: ChildService;
  proxyUrl: string;
  redis: PrivateRedis;
}

function scenariosAsked(): ScenarioName[] {
  const asked = (process.env.BENCH_SCENARIOS ?? Object.keys(SCENARIOS).join(',')).split(',');
  for (const name of asked) if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name}`);
  return asked as ScenarioName[];
}

/** Runs every scenario asked for, prints its tables and returns its figures. */
export async function runProxyBench(): Promise<ProxyBenchResult> {
  const result: ProxyBenchResult = {};
  for (const name of scenariosAsked()) {
    const teardown = new Teardown();
    const interrupted = () => void teardown.run().then(() => process.exit(130));
    process.once('SIGINT', interrupted);
    try {
      const stack = await startStack(teardown, name);
      result[name] = await report(name, stack);
    } finally {
      process.off('SIGINT', interrupted);
      await teardown.run();
    }
  }
  return result;
}

/** Starts every process, registering each with `teardown` as soon as it exists. */
export async function startStack(teardown: Teardown, name: ScenarioName = 'fast-split'): Promise<Stack> {
  const scenario = SCENARIOS[name];
  const upstreamPort = await freePort();
  const upstream =
    scenario.upstream === 'fixed'
      ? await ChildService.startScript('dist/ops/bench/fixed-upstream.js', {
          name: 'fixed upstream',
          env: { FIXED_UPSTREAM_PORT: String(upstreamPort) },
          ready: () => portOpen(upstreamPort),
        })
      : await ChildService.startScript('dist/bin/simulator.js', {
          name: 'simulator',
          env: { SIM_PORT: String(upstreamPort), SIM_LATENCY_MS: String(SIM_LATENCY_MS), SIM_IMAGES: 'true' },
          ready: () => portOpen(upstreamPort),
        });
  teardown.add(upstream.name, () => upstream.stop());
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}/`;

  const barePort = await freePort();
  const bare = await ChildService.startScript('dist/ops/bench/passthrough.js', {
    name: 'pass-through',
    env: { PASSTHROUGH_PORT: String(barePort), UPSTREAM_URL: upstreamUrl },
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
    PACCURATE_URL: upstreamUrl,
    CACHE_TTL_SECONDS: '0',
    // the production default: one log line per request (written to a file, see ChildService)
    LOG_LEVEL: 'info',
  };

  let worker: ChildService | null = null;
  if (scenario.layout === 'split') {
    const metricsPort = await freePort();
    const started = await ChildService.startScript('dist/bin/worker.js', {
      name: 'worker',
      nodeOptions: WORKER_NODE_OPTIONS,
      env: { ...pipelineEnv, METRICS_PORT: String(metricsPort) },
      ready: () => answersOk(`http://127.0.0.1:${metricsPort}/metrics`),
    });
    teardown.add('worker', () => started.stop());
    worker = started;
  }

  const proxyPort = await freePort();
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const proxy = await ChildService.startScript('dist/bin/pacproxy.js', {
    name: 'proxy',
    // as npm start and npm run start:proxy run it
    nodeOptions: scenario.layout === 'one' ? WORKER_NODE_OPTIONS : [],
    args: scenario.layout === 'split' ? ['proxy'] : [],
    env: {
      ...pipelineEnv,
      PORT: String(proxyPort),
      HOST: '127.0.0.1',
      METRICS_PORT: String(await freePort()),
    },
    ready: () => answersOk(`${proxyUrl}/readyz`),
  });
  teardown.add('proxy', () => proxy.stop());

  const pacproxy = { name: scenario.layout === 'split' ? 'proxy' : 'proxy+worker', pid: proxy.pid };
  const procs = [pacproxy, ...(worker ? [{ name: 'worker', pid: worker.pid }] : [])];
  procs.push({ name: 'redis', pid: redis.service.pid });
  return {
    upstream: {
      name: `${upstream.name} direct`,
      url: upstreamUrl,
      procs: [{ name: 'upstream', pid: upstream.pid }],
    },
    bare: {
      name: 'bare pass-through',
      url: `http://127.0.0.1:${barePort}/`,
      procs: [{ name: 'bare', pid: bare.pid }],
    },
    root: { name: 'Pacproxy POST /', url: `${proxyUrl}/`, procs },
    pack: { name: 'Pacproxy POST /pack', url: `${proxyUrl}/pack`, procs },
    proxy,
    worker,
    bareService: bare,
    proxyUrl,
    redis,
  };
}

/** One autocannon run against a target, with the CPU its processes used per 2xx answer. */
async function measure(target: Target, overallRate?: number): Promise<Measured> {
  const before = target.procs.map((p) => cpuSeconds(p.pid));
  const load = await runLoad({
    url: target.url,
    body: BENCH_ORDER,
    apiKeys: BENCH_API_KEYS,
    connections: CONNECTIONS,
    seconds: SECONDS,
    overallRate,
  });
  const perRequest = (seconds: number) => (seconds * 1000) / Math.max(load.ok, 1);
  const cpuMsByProcess: Record<string, number> = {};
  target.procs.forEach((p, i) => (cpuMsByProcess[p.name] = perRequest(cpuSeconds(p.pid) - before[i]!)));
  return { ...load, cpuMsPerRequest: cpuMsByProcess[target.procs[0]!.name]!, cpuMsByProcess };
}

/** A short unmeasured run, so the JIT and the connection pools are warm (at `overallRate`: paced). */
async function warm(target: Target, overallRate?: number): Promise<void> {
  await runLoad({
    url: target.url,
    body: BENCH_ORDER,
    apiKeys: BENCH_API_KEYS,
    connections: CONNECTIONS,
    seconds: WARMUP_SECONDS,
    overallRate,
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

async function report(name: ScenarioName, stack: Stack): Promise<ScenarioResult> {
  const fast = SCENARIOS[name].upstream === 'fixed';
  const answerBytes = await responseBytes(stack.upstream.url);
  console.log(
    `\n-- scenario ${name}: ${SCENARIOS[name].layout === 'split' ? 'proxy + worker processes' : 'one process (npm start)'}, ` +
      `${fast ? 'fast fixed-answer upstream' : `simulator upstream (${SIM_LATENCY_MS} ms, images on)`} --\n` +
      `${os.cpus().length} CPU(s), load average ${os.loadavg()[0]!.toFixed(2)}, Node ${process.version}; ` +
      `${SECONDS} s runs after ${WARMUP_SECONDS} s warm-up, median of ${ROUNDS} round-robin runs, ` +
      `${CONNECTIONS} connections; ${fixed(answerBytes)} B answers; Pacproxy cache off, logs at info.\n` +
      'autocannon, the upstream, the proxies, Redis and the worker share this machine.\n',
  );
  const redisBefore = cpuSeconds(stack.redis.service.pid);
  const callsBefore = await commandCalls(stack.redis.url);
  const memoryAtStart = { proxy: memory(stack.proxy.pid), bare: memory(stack.bareService.pid) };
  const targets = [stack.upstream, stack.bare, stack.root, stack.pack];
  for (const target of targets) await warm(target);
  process.stderr.write(`measuring ${targets.map((t) => t.name).join(', ')}…\n`);
  const medians = await medianRuns(targets, (m) => m.rps);
  const [, bare, root, pack] = medians as [Measured, Measured, Measured, Measured];
  console.log('Throughput (as fast as answers come)');
  console.log(
    formatTable(
      ['target', 'req/s', '× bare', 'p50 ms', 'p99 ms', 'p99 × bare', 'CPU ms/req by process', 'failures'],
      targets.map((t, i) => {
        const m = medians[i]!;
        const byProcess = Object.entries(m.cpuMsByProcess).map(([p, ms]) => `${p} ${fixed(ms, 3)}`);
        return [
          t.name,
          fixed(m.rps),
          ratio(m.rps, bare.rps),
          fixed(m.p50, 1),
          fixed(m.p99, 1),
          ratio(m.p99, bare.p99),
          byProcess.join(', '),
          fixed(m.failures),
        ];
      }),
    ),
  );
  console.log(
    'CPU ms/req: user+system CPU per 2xx answer, of the serving process and of the worker and ' +
      'redis-server behind Pacproxy. failures: non-2xx answers, errors and timeouts.',
  );

  let latency: Pick<ScenarioResult, 'rate' | 'bareAtRate' | 'rootAtRate'> = {};
  if (fast) {
    const rate = Math.max(1, Math.round(root.rps / 2));
    process.stderr.write(`measuring at a fixed ${rate} req/s…\n`);
    // the paced load's own code warms too: the first paced run otherwise pays for its JIT
    for (const target of [stack.bare, stack.root]) await warm(target, rate);
    const [bareAtRate, rootAtRate] = (await medianRuns([stack.bare, stack.root], (m) => m.p99, rate)) as [
      Measured,
      Measured,
    ];
    latency = { rate, bareAtRate, rootAtRate };
    console.log(
      `\nLatency at a fixed rate: ${rate} req/s (half of Pacproxy POST /'s capacity above), evenly ` +
        `paced, from when each request was due; the run with the median p99 of ${ROUNDS} each`,
    );
    console.log(
      formatTable(
        ['target', 'req/s', 'p50 ms', 'p99 ms', 'p99 × bare', 'CPU ms/req'],
        (
          [
            [stack.bare.name, bareAtRate],
            [stack.root.name, rootAtRate],
          ] as const
        ).map(([n, m]) => [
          n,
          fixed(m.rps),
          fixed(m.p50, 1),
          fixed(m.p99, 1),
          ratio(m.p99, bareAtRate.p99),
          fixed(m.cpuMsPerRequest, 3),
        ]),
      ),
    );
  }

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

  const counted = await countedLine(stack.proxyUrl);
  console.log(`\n${counted.line}`);
  const { events, jobs } = await enqueued(stack);
  const redisUsPerEvent = ((cpuSeconds(stack.redis.service.pid) - redisBefore) * 1e6) / Math.max(events, 1);
  const eventsPerJob = events / Math.max(jobs, 1);
  console.log(
    `Redis: ${fixed(redisUsPerEvent, 1)} µs of CPU per accepted event (enqueue and drain), ` +
      `${fixed(events)} events in ${fixed(jobs)} jobs (${fixed(eventsPerJob, 2)} events per job).`,
  );
  const callsAfter = await commandCalls(stack.redis.url);
  const perEvent = Object.entries(callsAfter)
    .map(([cmd, after]) => {
      const before = callsBefore[cmd] ?? { calls: 0, usec: 0 };
      const n = Math.max(events, 1);
      return [cmd, (after.calls - before.calls) / n, (after.usec - before.usec) / n] as const;
    })
    .filter(([, calls]) => calls >= 0.01)
    .sort((a, b) => b[2] - a[2])
    .map(([cmd, calls, usec]) => `${cmd} ${calls.toFixed(2)} (${usec.toFixed(1)} µs)`);
  console.log(
    `Redis commands per accepted event (their µs; a script's commands count within its own): ${perEvent.join(', ')}.`,
  );
  return { name, bare, root, pack, ...latency, redisUsPerEvent, eventsPerJob, exact: counted.exact };
}

/** Events the proxy put in Redis (its /metrics) and the jobs that carried them (BullMQ's id counters). */
async function enqueued(stack: Stack): Promise<{ events: number; jobs: number }> {
  const events = await metricSum(stack.proxyUrl, 'pacproxy_events_enqueued_total');
  const redis = new Redis(stack.redis.url, { lazyConnect: true });
  try {
    await redis.connect();
    let jobs = 0;
    for (let shard = 0; ; shard++) {
      const { prefix, queue } = shardLayout(shard);
      const id = await redis.get(`${prefix}:${queue}:id`);
      if (id === null) break;
      jobs += Number(id);
    }
    return { events, jobs };
  } finally {
    redis.disconnect();
  }
}

/** Calls so far of each Redis command, and the µs Redis spent in them (INFO commandstats). */
async function commandCalls(url: string): Promise<Record<string, { calls: number; usec: number }>> {
  const info = await redisCli(['-u', url, 'info', 'commandstats']);
  const calls: Record<string, { calls: number; usec: number }> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    calls[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
  return calls;
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
 * requests the store has counted across keystems, once the worker has caught up.
 */
async function countedLine(proxyUrl: string): Promise<{ line: string; exact: boolean }> {
  const started = Date.now();
  let answered = 0;
  let counted = 0;
  do {
    // both re-read: requests autocannon abandoned at the end of a run may still be finishing
    answered = await metricSum(proxyUrl, 'pacproxy_pack_requests_total');
    counted = await countedRequests(proxyUrl);
    if (counted === answered) break;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() - started < CATCH_UP_TIMEOUT_MS);
  const after = ((Date.now() - started) / 1000).toFixed(1);
  const exact = counted === answered;
  return {
    exact,
    line: exact
      ? `Pipeline: all ${fixed(answered)} answered pack requests counted in the store ${after} s after the load stopped.`
      : `Pipeline: the store counted ${fixed(counted)} pack requests, the proxy answered ${fixed(answered)} (after ${after} s).`,
  };
}

/** The sum of a counter's series in the proxy's /metrics. */
async function metricSum(proxyUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${proxyUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function countedRequests(proxyUrl: string): Promise<number> {
  const res = await fetch(`${proxyUrl}/api/keydata/all`);
  if (!res.ok) return 0;
  return ((await res.json()) as { totalRequests?: number }).totalRequests ?? 0;
}

/** The figures the proxy targets are judged by (target-table.ts), one set per scenario run. */
export function proxyFigures(result: ProxyBenchResult): ScenarioFigures[] {
  return Object.values(result).map((s) => {
    const pipelineCpu = Object.values(s.root.cpuMsByProcess).reduce((a, b) => a + b, 0);
    return {
      name: s.name,
      fast: SCENARIOS[s.name].upstream === 'fixed',
      bareRps: s.bare.rps,
      rootRps: s.root.rps,
      packRps: s.pack.rps,
      rate: s.rate,
      bareP99AtRate: s.bareAtRate?.p99,
      rootP99AtRate: s.rootAtRate?.p99,
      bareCpuMsPerRequest: s.bare.cpuMsPerRequest,
      pipelineCpuMsPerRequest: pipelineCpu,
      cpuMsByProcess: s.root.cpuMsByProcess,
      redisUsPerEvent: s.redisUsPerEvent,
      eventsPerJob: s.eventsPerJob,
      exact: s.exact,
    };
  });
}

if (require.main === module) {
  runProxyBench()
    .then((r) => printVerdicts('proxy targets', evaluateProxyTargets(proxyFigures(r))))
    .catch((err: unknown) => {
      console.error(`bench:proxy failed: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    });
}
