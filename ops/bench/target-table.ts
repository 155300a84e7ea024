import { fixed, formatTable } from './lib/table';

/**
 * The issue 7 targets as arithmetic: each measured figure against its baseline from the same
 * run, the ratio, the goal and the verdict. Pure, so the judgement itself is tested.
 */

/** What the proxy bench measured (bench:proxy, ops/bench/proxy.ts). */
export interface ProxyFigures {
  bareRps: number;
  rootRps: number;
  packRps: number;
  /** the fixed rate of the latency comparison (half of POST /'s capacity) */
  rate: number;
  bareP99AtRate: number;
  rootP99AtRate: number;
  bareCpuMsPerRequest: number;
  rootCpuMsPerRequest: number;
  /** the worker's and redis-server's CPU per POST / */
  pipelineCpuMsPerRequest: number;
}

/** What the pipeline bench measured (bench:pipeline, ops/bench/pipeline.ts). */
export interface PipelineFigures {
  /** BullMQ's Worker, concurrency 100, no-op processor: events/s */
  baselineRate: number;
  /** one Pacproxy worker process, SQLite, ledger, synchronous=FULL: events/s */
  drainRate: number;
  /** the store held exactly the events sent after every drain */
  exact: boolean;
  /** flushes of the drains, and the most writes one keystem's row got in one of them */
  flushes: number;
  maxKeystemWritesPerFlush: number;
  freshnessRate: number;
  freshnessP99Ms: number;
}

export type Verdict = 'PASS' | 'FAIL' | 'report';

export interface TargetRow {
  target: string;
  measured: string;
  ratio: string;
  goal: string;
  verdict: Verdict;
}

const x = (value: number) => `${fixed(value, 2)}×`;
const judge = (ok: boolean): Verdict => (ok ? 'PASS' : 'FAIL');

export function evaluateTargets(proxy: ProxyFigures, pipeline: PipelineFigures): TargetRow[] {
  const root = proxy.rootRps / proxy.bareRps;
  const pack = proxy.packRps / proxy.bareRps;
  const p99 = proxy.rootP99AtRate / proxy.bareP99AtRate;
  const drain = pipeline.drainRate / pipeline.baselineRate;
  const cpu = proxy.rootCpuMsPerRequest / proxy.bareCpuMsPerRequest;
  return [
    {
      target: 'POST / req/s (cache off, full pipeline) vs bare pass-through',
      measured: `${fixed(proxy.rootRps)} vs ${fixed(proxy.bareRps)} req/s`,
      ratio: x(root),
      goal: '≥ 0.40×',
      verdict: judge(root >= 0.4),
    },
    {
      target: `POST / p99 at half its capacity (${fixed(proxy.rate)} req/s) vs bare at that rate`,
      measured: `${fixed(proxy.rootP99AtRate)} vs ${fixed(proxy.bareP99AtRate)} ms`,
      ratio: x(p99),
      goal: '≤ 2.00×',
      verdict: judge(p99 <= 2),
    },
    {
      target: 'POST /pack req/s vs bare pass-through',
      measured: `${fixed(proxy.packRps)} vs ${fixed(proxy.bareRps)} req/s`,
      ratio: x(pack),
      goal: '≥ 0.50×',
      verdict: judge(pack >= 0.5),
    },
    {
      target: 'pipeline drain (SQLite, full durability, 1 worker) vs BullMQ no-op Worker',
      measured:
        `${fixed(pipeline.drainRate)} vs ${fixed(pipeline.baselineRate)} events/s` +
        (pipeline.exact ? '' : ', store totals WRONG'),
      ratio: x(drain),
      goal: '≥ 1.00×, exact',
      verdict: judge(drain >= 1 && pipeline.exact),
    },
    {
      target: 'store writes per keystem per flush (most in any flush)',
      measured: `${fixed(pipeline.maxKeystemWritesPerFlush)} over ${fixed(pipeline.flushes)} flushes`,
      ratio: '-',
      goal: '≤ 1',
      verdict: judge(pipeline.flushes > 0 && pipeline.maxKeystemWritesPerFlush <= 1),
    },
    {
      target: `freshness p99 at a steady ${fixed(pipeline.freshnessRate)} events/s (accepted → in the store)`,
      measured: `${fixed(pipeline.freshnessP99Ms)} ms`,
      ratio: '-',
      goal: '≤ 2,000 ms',
      verdict: judge(pipeline.freshnessP99Ms <= 2000),
    },
    {
      target: 'CPU per POST / (proxy process) vs bare pass-through',
      measured:
        `${fixed(proxy.rootCpuMsPerRequest, 3)} vs ${fixed(proxy.bareCpuMsPerRequest, 3)} ms ` +
        `(+ worker and Redis ${fixed(proxy.pipelineCpuMsPerRequest, 3)} ms)`,
      ratio: x(cpu),
      goal: 'reported',
      verdict: 'report',
    },
  ];
}

export function formatTargets(rows: readonly TargetRow[]): string {
  return formatTable(
    ['target', 'measured', 'ratio', 'goal', 'verdict'],
    rows.map((r) => [r.target, r.measured, r.ratio, r.goal, r.verdict]),
  );
}
