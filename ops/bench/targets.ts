import os from 'node:os';
import { pipelineFigures, runPipelineBench } from './pipeline';
import { proxyFigures, runProxyBench } from './proxy';
import { evaluateTargets, printVerdicts } from './target-table';

/**
 * `npm run bench`: the targets of README "Performance", each measured against its baseline in the same run on
 * this machine. Runs bench:proxy's scenarios, then bench:pipeline with its judged drains in jobs
 * of as many events as the proxy's group commit made in the fast scenarios (the densest of
 * them), each printing its own tables, then the targets table with PASS/FAIL; exits 1 when a
 * target fails. The memory target has a run of its own (ten minutes): `npm run bench:soak`.
 */

async function main(): Promise<void> {
  const started = Date.now();
  console.log('== bench:proxy ==\n');
  const proxy = proxyFigures(await runProxyBench());
  const made = Math.max(...proxy.filter((s) => s.fast).map((s) => s.eventsPerJob));
  console.log('\n== bench:pipeline ==\n');
  const pipeline = await runPipelineBench(Number.isFinite(made) ? Number(made.toFixed(2)) : undefined);
  const rows = evaluateTargets(proxy, pipelineFigures(pipeline));
  printVerdicts(
    `targets (${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)} at the end, ` +
      `${Math.round((Date.now() - started) / 1000)} s)`,
    rows,
  );
  console.log('\nmemory (RSS and Redis flat within ±10% over 10 minutes): npm run bench:soak');
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
