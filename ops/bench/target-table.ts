import { fixed, formatTable } from './lib/table';

/**
 * The bench's targets (README "Performance", the targets table) as arithmetic: each measured figure against its baseline from the same
 * run, the ratio, the goal and the verdict. Pure, so the judgement itself is tested.
 */

/** What the proxy bench measured in one scenario (bench:proxy, ops/bench/proxy.ts). */
export interface ScenarioFigures {
  /** e.g. `fast-split`; fast scenarios (fixed-answer upstream) are judged, the realistic one reported */
  name: string;
  fast: boolean;
  bareRps: number;
  rootRps: number;
  packRps: number;
  /** the fixed rate of the latency comparison (half of POST /'s capacity); fast scenarios */
  rate?: number;
  bareP99AtRate?: number;
  rootP99AtRate?: number;
  bareCpuMsPerRequest: number;
  /** CPU per POST / of the proxy, the worker and redis-server together */
  pipelineCpuMsPerRequest: number;
  /** the same, by process, for the report */
  cpuMsByProcess: Record<string, number>;
  redisUsPerEvent: number;
  eventsPerJob: number;
  /** every answered request was counted in the store */
  exact: boolean;
}

/** What the pipeline bench measured (bench:pipeline, ops/bench/pipeline.ts). */
export interface PipelineFigures {
  /** the judged drains' events per job: as many as the proxy's group commit makes */
  eventsPerJob: number;
  /** BullMQ's Worker, concurrency 100, no-op processor: events/s */
  baselineRate: number;
  /** one Pacproxy worker process, SQLite, ledger, synchronous=FULL: events/s */
  drainRate: number;
  /** the same two drains on denser jobs than the proxy makes (reported) */
  dense: { eventsPerJob: number; baselineRate: number; drainRate: number };
  /** the store held exactly the events sent after every drain */
  exact: boolean;
  /** flushes of the drains, and the most writes one keystem's row got in one of them */
  flushes: number;
  maxKeystemWritesPerFlush: number;
  /** the most writes one keystem-hour's row (history) got in one flush */
  maxHourWritesPerFlush: number;
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

function scenarioRows(s: ScenarioFigures): TargetRow[] {
  const root = s.rootRps / s.bareRps;
  const pack = s.packRps / s.bareRps;
  const throughputVerdict = (r: number) => (s.fast ? judge(r >= 0.6) : 'report');
  const rows: TargetRow[] = [
    {
      target: `[${s.name}] POST / req/s (cache off, full pipeline) vs bare pass-through`,
      measured: `${fixed(s.rootRps)} vs ${fixed(s.bareRps)} req/s` + (s.exact ? '' : ', store count WRONG'),
      ratio: x(root),
      goal: s.fast ? '≥ 0.60×, exact' : 'reported',
      verdict: s.exact ? throughputVerdict(root) : 'FAIL',
    },
    {
      target: `[${s.name}] POST /pack req/s vs bare pass-through`,
      measured: `${fixed(s.packRps)} vs ${fixed(s.bareRps)} req/s`,
      ratio: x(pack),
      goal: s.fast ? '≥ 0.60×' : 'reported',
      verdict: throughputVerdict(pack),
    },
  ];
  if (!s.fast) return rows;
  const p99 = (s.rootP99AtRate ?? NaN) / (s.bareP99AtRate ?? NaN);
  const cpu = s.pipelineCpuMsPerRequest / s.bareCpuMsPerRequest;
  const byProcess = Object.entries(s.cpuMsByProcess)
    .map(([p, ms]) => `${p} ${fixed(ms, 3)}`)
    .join(' + ');
  rows.push(
    {
      target: `[${s.name}] POST / p99 at half its capacity (${fixed(s.rate)} req/s) vs bare at that rate`,
      measured: `${fixed(s.rootP99AtRate)} vs ${fixed(s.bareP99AtRate)} ms`,
      ratio: x(p99),
      goal: '≤ 1.50×',
      verdict: judge(p99 <= 1.5),
    },
    {
      target: `[${s.name}] pipeline CPU per POST / (by process) vs bare pass-through`,
      measured: `${byProcess} vs ${fixed(s.bareCpuMsPerRequest, 3)} ms`,
      ratio: x(cpu),
      goal: '≤ 2.50×',
      verdict: judge(cpu <= 2.5),
    },
    {
      target: `[${s.name}] Redis CPU per accepted event (enqueue + drain)`,
      measured: `${fixed(s.redisUsPerEvent, 1)} µs, ${fixed(s.eventsPerJob, 2)} events per job`,
      ratio: '-',
      goal: '≤ 40 µs',
      verdict: judge(s.redisUsPerEvent <= 40),
    },
  );
  return rows;
}

export function evaluateProxyTargets(scenarios: readonly ScenarioFigures[]): TargetRow[] {
  return scenarios.flatMap(scenarioRows);
}

export function evaluatePipelineTargets(pipeline: PipelineFigures): TargetRow[] {
  const drain = pipeline.drainRate / pipeline.baselineRate;
  const measured =
    `${fixed(pipeline.drainRate)} vs ${fixed(pipeline.baselineRate)} events/s, ` +
    `${fixed(pipeline.eventsPerJob, 2)} events per job` +
    (pipeline.exact ? '' : ', store totals WRONG');
  // the same drain, judged by two issues' goals
  const drainRow = (goal: number, issues: string): TargetRow => ({
    target: `pipeline drain (SQLite, full durability, 1 worker) vs BullMQ no-op Worker, ${issues}`,
    measured,
    ratio: x(drain),
    goal: `≥ ${fixed(goal, 2)}×, exact`,
    verdict: judge(drain >= goal && pipeline.exact),
  });
  const { dense } = pipeline;
  return [
    drainRow(1.5, 'issues 13, 14'),
    drainRow(2, 'issue 20'),
    {
      target: 'the same drain in denser jobs than the proxy makes',
      measured:
        `${fixed(dense.drainRate)} vs ${fixed(dense.baselineRate)} events/s, ` +
        `${fixed(dense.eventsPerJob, 2)} events per job`,
      ratio: x(dense.drainRate / dense.baselineRate),
      goal: 'reported',
      verdict: 'report',
    },
    {
      target: 'store writes per keystem, and per keystem-hour, per flush (most in any flush)',
      measured:
        `${fixed(pipeline.maxKeystemWritesPerFlush)} and ${fixed(pipeline.maxHourWritesPerFlush)} ` +
        `over ${fixed(pipeline.flushes)} flushes`,
      ratio: '-',
      goal: '≤ 1 and ≤ 1',
      verdict: judge(
        pipeline.flushes > 0 && pipeline.maxKeystemWritesPerFlush <= 1 && pipeline.maxHourWritesPerFlush <= 1,
      ),
    },
    {
      target: `freshness p99 at a steady ${fixed(pipeline.freshnessRate)} events/s (accepted → in the store)`,
      measured: `${fixed(pipeline.freshnessP99Ms)} ms`,
      ratio: '-',
      goal: '≤ 2,000 ms',
      verdict: judge(pipeline.freshnessP99Ms <= 2000),
    },
  ];
}

export function evaluateTargets(proxy: readonly ScenarioFigures[], pipeline: PipelineFigures): TargetRow[] {
  return [...evaluateProxyTargets(proxy), ...evaluatePipelineTargets(pipeline)];
}

export function formatTargets(rows: readonly TargetRow[]): string {
  return formatTable(
    ['target', 'measured', 'ratio', 'goal', 'verdict'],
    rows.map((r) => [r.target, r.measured, r.ratio, r.goal, r.verdict]),
  );
}

/** Prints the rows and sets a failing exit code when a target failed (the benches' last step). */
export function printVerdicts(title: string, rows: readonly TargetRow[]): void {
  console.log(`\n== ${title} ==\n`);
  console.log(formatTargets(rows));
  if (rows.some((r) => r.verdict === 'FAIL')) {
    console.log('\nFAIL: at least one target was missed');
    process.exitCode = 1;
  }
}
