import { Redis } from 'ioredis';
import os from 'node:os';
import { runLoad } from './lib/load';
import { BENCH_HEADERS, BENCH_ORDER } from './lib/order';
import { memory } from './lib/proc';
import { fixed, formatTable } from './lib/table';
import { Teardown } from './lib/teardown';
import { startStack, type Stack } from './proxy';
import { flatness, netOf } from './flatness';

/**
 * `npm run bench:soak`: memory under a long steady load. The stack of bench:proxy (simulator,
 * private redis-server, worker, proxy with cache off); its POST / capacity is measured first,
 * then half of it is sent for SOAK_SECONDS (default 600). Every 10 s: the proxy's and the
 * worker's resident set and Redis' used_memory (and key count: the queues' working set).
 * After the warm-up (the first minute, or the first fifth of a shorter run) each series must
 * stay within ±10% of its median. Printed, never asserted in tests.
 */

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const SAMPLE_SECONDS = 10;
const WARMUP_SECONDS = Math.min(60, SOAK_SECONDS / 5);
const CAPACITY_SECONDS = 8;
const CONNECTIONS = 32;
/** ±10%: memory that stays within this of its median after warm-up does not grow under load */
const TOLERANCE = 0.1;

interface Sample {
  atSeconds: number;
  proxyRss: number;
  workerRss: number;
  redisUsed: number;
  redisKeys: number;
}

async function main(): Promise<void> {
  const teardown = new Teardown();
  process.once('SIGINT', () => void teardown.run().then(() => process.exit(130)));
  try {
    const stack = await startStack(teardown, 'realistic');
    const redis = new Redis(stack.redis.url, { lazyConnect: true });
    await redis.connect();
    teardown.add('redis connection', () => redis.disconnect());
    await soak(stack, redis);
  } finally {
    await teardown.run();
  }
}

async function soak(stack: Stack, redis: Redis): Promise<void> {
  const load = { url: stack.root.url, body: BENCH_ORDER, headers: BENCH_HEADERS, connections: CONNECTIONS };
  process.stderr.write('measuring POST / capacity…\n');
  await runLoad({ ...load, seconds: 2 });
  const capacity = await runLoad({ ...load, seconds: CAPACITY_SECONDS });
  const rate = Math.max(1, Math.round(capacity.rps / 2));
  console.log(
    `bench:soak on ${os.cpus().length} CPU(s), Node ${process.version}: POST / capacity ${fixed(capacity.rps)} req/s; ` +
      `${SOAK_SECONDS} s at ${rate} req/s (half), sampled every ${SAMPLE_SECONDS} s, ` +
      `warm-up ${fixed(WARMUP_SECONDS)} s; cache off, full pipeline, logs at info.\n`,
  );

  const samples: Sample[] = [];
  const started = Date.now();
  const sample = async () => {
    const info = await redis.info('memory');
    samples.push({
      atSeconds: (Date.now() - started) / 1000,
      proxyRss: memory(stack.proxy.pid).rss,
      workerRss: stack.worker ? memory(stack.worker.pid).rss : NaN,
      redisUsed: Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN),
      redisKeys: await redis.dbsize(),
    });
    process.stderr.write(`sample ${samples.length} at ${fixed(samples.at(-1)!.atSeconds)} s\n`);
  };
  const sampler = setInterval(() => void sample(), SAMPLE_SECONDS * 1000);
  const result = await runLoad({ ...load, seconds: SOAK_SECONDS, overallRate: rate }).finally(() =>
    clearInterval(sampler),
  );
  // the load's last stretch, unless the interval has just sampled it
  const last = samples.at(-1);
  if (!last || (Date.now() - started) / 1000 - last.atSeconds > SAMPLE_SECONDS / 2) await sample();

  const mb = (bytes: number) => fixed(bytes / 1024 / 1024, 1);
  console.log(
    formatTable(
      ['at s', 'proxy RSS MB', 'worker RSS MB', 'Redis used MB', 'Redis keys'],
      samples.map((s) => [
        fixed(s.atSeconds),
        mb(s.proxyRss),
        mb(s.workerRss),
        mb(s.redisUsed),
        fixed(s.redisKeys),
      ]),
    ),
  );
  console.log(
    `\n${fixed(result.ok)} answered (${fixed(result.rps)} req/s), ${fixed(result.failures)} failures, ` +
      `p50 ${fixed(result.p50, 1)} ms, p99 ${fixed(result.p99, 1)} ms\n`,
  );

  const steady = samples.filter((s) => s.atSeconds >= WARMUP_SECONDS);
  // RSS must stay within the band. Redis holds the queues' working set, which comes and goes
  // with the workers' batches: its raw figure is shown, and it is judged by the trend of its
  // memory net of the jobs it holds (the part the key count explains): no growth beyond that.
  const series: Array<[string, number[], Criterion]> = [
    ['proxy RSS', steady.map((s) => s.proxyRss), 'spread'],
    ['worker RSS', steady.map((s) => s.workerRss), 'spread'],
    ['Redis used_memory', steady.map((s) => s.redisUsed), 'shown'],
    [
      'Redis net of its jobs',
      netOf(
        steady.map((s) => s.redisUsed),
        steady.map((s) => s.redisKeys),
      ),
      'growth',
    ],
  ];
  const verdicts = series.map(([name, values, criterion]) => {
    const f = flatness(values, TOLERANCE);
    return { name, f, criterion, pass: criterion === 'growth' ? f.growth <= TOLERANCE : f.within };
  });
  console.log(`After warm-up (${steady.length} samples, ${fixed(steady.length * SAMPLE_SECONDS)} s):`);
  console.log(
    formatTable(
      ['series', 'median MB', 'min', 'max', 'trend over the window', 'criterion', 'verdict'],
      verdicts.map(({ name, f, criterion, pass }) => [
        name,
        mb(f.median),
        percent(f.minDeviation),
        percent(f.maxDeviation),
        percent(f.growth),
        CRITERIA[criterion],
        criterion === 'shown' ? '-' : Number.isNaN(f.median) ? 'no samples' : pass ? 'PASS' : 'FAIL',
      ]),
    ),
  );
  const keys = steady.map((s) => s.redisKeys);
  console.log(
    `\nRedis keys after warm-up: ${fixed(Math.min(...keys))}–${fixed(Math.max(...keys))} ` +
      '(jobs waiting or in flight, queue metadata, leases, keystem memory)',
  );
  const pass = verdicts.every((v) => v.criterion === 'shown' || v.pass);
  console.log(
    `\ntarget memory flat after warm-up (RSS within ±10%, no Redis growth beyond the queues' working set): ` +
      (pass ? 'PASS' : 'FAIL'),
  );
}

type Criterion = 'spread' | 'growth' | 'shown';

const CRITERIA: Record<Criterion, string> = {
  spread: 'min and max within ±10%',
  growth: 'trend ≤ +10%',
  shown: '(moves with the working set)',
};

function percent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${fixed(fraction * 100, 1)}%`;
}

main().catch((err: unknown) => {
  console.error(`bench:soak failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
