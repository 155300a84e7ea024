import os from 'node:os';
import { percentile, runPipelineBench, type PipelineBenchResult } from './pipeline';
import { runProxyBench, type ProxyBenchResult } from './proxy';
import { evaluateTargets, formatTargets, type PipelineFigures, type ProxyFigures } from './target-table';

/**
 * `npm run bench`: the issue 7 targets, each measured against its baseline in the same run on
 * this machine. Runs bench:pipeline, then bench:proxy (each prints its own tables), then the
 * targets table with PASS/FAIL; exits 1 when a target fails. The memory target has a run of its
 * own (ten minutes): `npm run bench:soak`.
 */

function proxyFigures(r: ProxyBenchResult): ProxyFigures {
  return {
    bareRps: r.bare.rps,
    rootRps: r.root.rps,
    packRps: r.pack.rps,
    rate: r.rate,
    bareP99AtRate: r.bareAtRate.p99,
    rootP99AtRate: r.rootAtRate.p99,
    bareCpuMsPerRequest: r.bare.cpuMsPerRequest,
    rootCpuMsPerRequest: r.root.cpuMsPerRequest,
    pipelineCpuMsPerRequest: r.root.behindCpuMsPerRequest ?? NaN,
  };
}

function pipelineFigures(r: PipelineBenchResult): PipelineFigures {
  const { one, two } = r;
  return {
    baselineRate: r.baseline.rate,
    drainRate: one.rate,
    exact: one.counted === r.events && two.counted === r.events,
    flushes: (one.flushes ?? 0) + (two.flushes ?? 0),
    maxKeystemWritesPerFlush: Math.max(
      one.maxKeystemWritesPerFlush ?? Infinity,
      two.maxKeystemWritesPerFlush ?? Infinity,
    ),
    freshnessRate: r.freshnessRate,
    freshnessP99Ms: percentile(r.freshness, 99),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log('== bench:pipeline ==\n');
  const pipeline = await runPipelineBench();
  console.log('\n== bench:proxy ==\n');
  const proxy = await runProxyBench();
  const rows = evaluateTargets(proxyFigures(proxy), pipelineFigures(pipeline));
  console.log(
    `\n== issue 7 targets (${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)} at the end, ` +
      `${Math.round((Date.now() - started) / 1000)} s) ==\n`,
  );
  console.log(formatTargets(rows));
  console.log('\nmemory (RSS and Redis flat within ±10% over 10 minutes): npm run bench:soak');
  if (rows.some((r) => r.verdict === 'FAIL')) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
