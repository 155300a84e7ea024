import { Worker } from 'bullmq';

/**
 * The pipeline bench's baseline: BullMQ's default Worker with a no-op processor at concurrency
 * 100 on one queue (env BENCH_REDIS_URL, BENCH_QUEUE, BENCH_PREFIX). It does nothing with the
 * jobs, so it is the ceiling of per-job processing on this Redis and machine.
 */
const worker = new Worker(process.env.BENCH_QUEUE ?? 'baseline', async () => undefined, {
  connection: { url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', maxRetriesPerRequest: null },
  prefix: process.env.BENCH_PREFIX ?? 'bull',
  concurrency: 100,
});
worker.on('error', (err) => process.stderr.write(`${String(err)}\n`));
// top level of a script: a failure surfaces as an unhandled rejection, which ends the bench
void worker.waitUntilReady().then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
