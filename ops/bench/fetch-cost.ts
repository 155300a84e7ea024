import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { encodeJob, jobName } from '../../src/queue/event-codec';
import { JobAdds } from '../../src/queue/job-adds';
import { createShardQueues, KEEP_COMPLETED_JOBS } from '../../src/queue/queues';
import { shardLayout } from '../../src/queue/shard';
import { JobBatches } from '../../workers/job-batches';
import { createManualWorker } from '../../workers/manual-worker';
import { PrivateRedis } from './lib/redis';
import { fixed, formatTable } from './lib/table';
import { packEvent } from './pipeline';

/**
 * `node dist/ops/bench/fetch-cost.js`: Redis CPU (INFO cpu, so other load on the machine
 * matters little) to add JOBS jobs of EVENTS_PER_JOB events, and to take and complete them
 * three ways, after adding them one of three ways (BullMQ's Queue.addBulk, and
 * src/queue/job-adds.ts one job per call, the least the producer sends, or many per call as its
 * outbox replay does), taking turns:
 * BullMQ's own API as a batching consumer would use it (getNextJob, then moveToCompleted per
 * job, as the store commit comes between), workers/job-batches.ts (a few hundred jobs per
 * script call), and BullMQ's no-op Worker (fetch and complete in one script per job), for the
 * decision whether job-batches.ts earns its cost. Best of three rounds each.
 */

const JOBS = Number(process.env.BENCH_JOBS ?? 5000);
const EVENTS_PER_JOB = Number(process.env.BENCH_EVENTS_PER_JOB ?? 4);
const TOKEN = 'bench-token';

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return field('used_cpu_sys') + field('used_cpu_user');
}

type Drain = (redis: Redis) => Promise<number>;

/** Runs `drain` with a manual BullMQ worker of shard 0 on a connection of its own. */
async function withManualWorker(
  redis: Redis,
  drain: (worker: Worker, connection: Redis) => Promise<number>,
): Promise<number> {
  const connection = redis.duplicate();
  const worker = createManualWorker(shardLayout(0), connection, 'bench', 30_000);
  try {
    await worker.waitUntilReady();
    return await drain(worker, connection);
  } finally {
    await worker.close(true);
    connection.disconnect();
  }
}

/** BullMQ's API: a batch of getNextJob calls, then one moveToCompleted per job. */
const bullmqApi: Drain = (redis) =>
  withManualWorker(redis, async (worker) => {
    let done = 0;
    for (;;) {
      const taken = [];
      for (let i = 0; i < 250; i++) {
        const job = await worker.getNextJob(TOKEN, { block: false });
        if (!job) break;
        taken.push(job);
      }
      if (taken.length === 0) return done;
      await Promise.all(taken.map((job) => job.moveToCompleted(null, TOKEN, false)));
      done += taken.length;
    }
  });

/** workers/job-batches.ts: take and complete a few hundred jobs per script call. */
const jobBatches: Drain = (redis) =>
  withManualWorker(redis, async (worker, connection) => {
    const jobs = new JobBatches({
      connection,
      toKey: (type) => worker.toKey(type),
      token: TOKEN,
      lockDurationMs: 30_000,
      workerName: 'bench',
      keepCompleted: KEEP_COMPLETED_JOBS,
    });
    let done = 0;
    for (let taken = await jobs.take(1000); taken.length > 0; taken = await jobs.take(1000)) {
      await jobs.complete(taken.map((job) => job.id));
      done += taken.length;
    }
    return done;
  });

/** BullMQ's Worker, concurrency 100, no-op processor. */
const noopWorker: Drain = async (redis) => {
  const connection = redis.duplicate();
  const { prefix, queue } = shardLayout(0);
  let done = 0;
  await new Promise<void>((resolve) => {
    const worker = new Worker(queue, async () => undefined, { connection, prefix, concurrency: 100 });
    worker.on('completed', () => {
      // an event handler cannot await; the bench waits on `resolve`
      if (++done === JOBS) void worker.close().then(resolve);
    });
  });
  connection.disconnect();
  return done;
};

/** Adds the jobs to the queue, one of the ways compared. */
type Fill = (queue: Queue, redis: Redis, jobs: Array<{ name: string; data: unknown }>) => Promise<unknown>;

const fills: Array<[string, Fill]> = [
  ['Queue.addBulk (one BullMQ add script per job)', (queue, _redis, jobs) => queue.addBulk(jobs)],
  [
    'src/queue/job-adds.ts, one job per call',
    (queue, redis, jobs) => {
      const adds = new JobAdds(redis, [queue]);
      return Promise.all(
        jobs.map((job) =>
          adds.add([{ shard: 0, jobs: [{ name: job.name, data: JSON.stringify(job.data) }] }]),
        ),
      );
    },
  ],
  [
    'src/queue/job-adds.ts, 50 jobs per call (outbox replay)',
    (queue, redis, jobs) =>
      new JobAdds(redis, [queue]).add([
        { shard: 0, jobs: jobs.map((job) => ({ name: job.name, data: JSON.stringify(job.data) })) },
      ]),
  ],
];

async function main(): Promise<void> {
  const server = await PrivateRedis.start();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  const queue = createShardQueues(redis, 1)[0]!;
  try {
    const ways: Array<[string, Drain]> = [
      ["BullMQ's API (getNextJob + moveToCompleted)", bullmqApi],
      ['workers/job-batches.ts', jobBatches],
      ["BullMQ's no-op Worker", noopWorker],
    ];
    const best = ways.map(() => Infinity);
    const bestAdd = fills.map(() => Infinity);
    for (let round = 0; round < 3; round++) {
      for (const [i, [, drain]] of ways.entries()) {
        const f = (round + i) % fills.length; // each add way fills before each drain once
        const beforeAdd = await redisCpuSeconds(redis);
        for (let n = 0; n < JOBS; n += 500) {
          const jobs = Array.from({ length: Math.min(500, JOBS - n) }, () => {
            const events = Array.from({ length: EVENTS_PER_JOB }, () => packEvent('bench-0000'));
            return { name: jobName(events), data: encodeJob(events) };
          });
          await fills[f]![1](queue, redis, jobs);
        }
        const before = await redisCpuSeconds(redis);
        bestAdd[f] = Math.min(bestAdd[f]!, ((before - beforeAdd) * 1e6) / JOBS);
        const done = await drain(redis);
        best[i] = Math.min(best[i]!, (((await redisCpuSeconds(redis)) - before) * 1e6) / Math.max(done, 1));
      }
    }
    console.log(
      `Redis CPU to add, take and complete ${JOBS} jobs of ${EVENTS_PER_JOB} events (best of 3 rounds)\n`,
    );
    console.log(
      formatTable(
        ['step', 'µs per job', 'µs per event'],
        [
          ...fills.map(([name], i) => [
            `add: ${name}`,
            fixed(bestAdd[i], 1),
            fixed(bestAdd[i]! / EVENTS_PER_JOB, 1),
          ]),
          ...ways.map(([name], i) => [
            `take + complete: ${name}`,
            fixed(best[i], 1),
            fixed(best[i]! / EVENTS_PER_JOB, 1),
          ]),
        ],
      ),
    );
  } finally {
    await queue.close();
    redis.disconnect();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`fetch-cost failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
