import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { encodeJob, jobName } from '../../src/queue/event-codec';
import { JobAdds } from '../../src/queue/job-adds';
import { createShardQueues } from '../../src/queue/queues';
import { shardLayout } from '../../src/queue/shard';
import { createManualWorker } from '../../workers/manual-worker';
import { RedisProcess } from '../helpers/redis-server';
import { packEvent } from '../pipeline/support/events';

/**
 * The add script against BullMQ's own `Queue.add`: the same job added both ways must leave
 * Redis in the same state (job hash, lists, marker, counter) but for the events stream, where
 * the script writes nothing; and BullMQ must read and hand out the jobs it added.
 */
describe('JobAdds (stats jobs added as BullMQ adds them, many per script call)', () => {
  let server: RedisProcess;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    server = await RedisProcess.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    await redis.flushall();
    queue = createShardQueues(redis, 1)[0]!;
    await queue.waitUntilReady();
  });
  afterEach(async () => {
    await queue.close();
    redis.disconnect();
  });

  const newJob = (events = [packEvent('acme')]) => ({
    name: jobName(events),
    data: JSON.stringify(encodeJob(events)),
  });

  /**
   * What Redis holds for the queue, with the values that differ by time or by call left out,
   * and without the events stream (BullMQ's QueueEvents), where the script writes no events.
   */
  async function snapshot(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const key of (await redis.keys('*')).sort()) {
      if (key === queue.toKey('events')) continue;
      const type = await redis.type(key);
      if (type === 'hash') {
        const { timestamp, opts, ...fields } = await redis.hgetall(key);
        out[key] = { ...fields, timestamp: timestamp && 'set', opts: opts && JSON.parse(opts) };
      } else if (type === 'list') out[key] = await redis.lrange(key, 0, -1);
      else if (type === 'zset') out[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else out[key] = await redis.get(key);
    }
    return out;
  }

  type Add = (job: { name: string; data: string }) => Promise<unknown>;
  const byBullmq: Add = (job) => queue.add(job.name, JSON.parse(job.data) as unknown);

  it('leaves Redis exactly as Queue.add does', async () => {
    const adds = new JobAdds(redis, [queue]);
    const jobs = [newJob(), newJob([packEvent('acme'), packEvent('acme')])];
    const stateAfter = async (add: Add) => {
      await redis.flushall();
      await queue.resume(); // writes the queue's meta again, as at start
      for (const job of jobs) await add(job);
      return snapshot();
    };
    const bullmqState = await stateAfter(byBullmq);
    const scriptState = await stateAfter((job) => adds.add([{ shard: 0, jobs: [job] }]));
    expect(scriptState).toEqual(bullmqState);
    const events = await redis.xrange(queue.toKey('events'), '-', '+');
    expect(events.filter(([, fields]) => fields[1] === 'added' || fields[1] === 'waiting')).toEqual([]);
    expect(Object.keys(scriptState)).toEqual(expect.arrayContaining([queue.toKey('2'), queue.toKey('wait')]));
  });

  it('adds to the paused list without a marker while the queue is paused, as Queue.add does', async () => {
    const adds = new JobAdds(redis, [queue]);
    const job = newJob();
    const stateAfter = async (add: Add) => {
      await redis.flushall();
      await queue.pause();
      await add(job);
      return snapshot();
    };
    const bullmqState = await stateAfter(byBullmq);
    expect(await stateAfter((j) => adds.add([{ shard: 0, jobs: [j] }]))).toEqual(bullmqState);
    expect(await queue.getJobCounts('paused')).toEqual({ paused: 1 });
  });

  it('adds the jobs of several queues in one script call, each queue marked for its workers', async () => {
    const queues = createShardQueues(redis, 3);
    try {
      const adds = new JobAdds(redis, queues);
      // by SHA, or whole when Redis does not have the script yet
      const calls = async () =>
        [...(await redis.info('commandstats')).matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+)/gm)].reduce(
          (n, m) => n + Number(m[1]),
          0,
        );
      const before = await calls();
      const ids = await adds.add([
        { shard: 2, jobs: [newJob(), newJob()] },
        { shard: 0, jobs: [newJob()] },
      ]);
      expect((await calls()) - before).toBe(1);
      expect(ids).toEqual(['1', '2', '1']);
      expect(await queues[2]!.getJobCounts('wait')).toEqual({ wait: 2 });
      expect(await queues[0]!.getJobCounts('wait')).toEqual({ wait: 1 });
      expect(await queues[1]!.getJobCounts('wait')).toEqual({ wait: 0 });
      // the marker wakes the workers of the queues that got jobs, and only those
      expect(await redis.exists(queues[2]!.toKey('marker'), queues[0]!.toKey('marker'))).toBe(2);
      expect(await redis.exists(queues[1]!.toKey('marker'))).toBe(0);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });

  it('adds many jobs in order, with counter ids, and BullMQ hands them out with their data', async () => {
    const jobs = Array.from({ length: 120 }, () => newJob()); // more than one script call's worth
    const ids = await new JobAdds(redis, [queue]).add([{ shard: 0, jobs }]);
    expect(ids).toEqual(jobs.map((_, i) => String(i + 1)));
    expect(await queue.getJobCounts('wait')).toEqual({ wait: 120 });

    const connection = redis.duplicate();
    const worker = createManualWorker(shardLayout(0), connection, 'test-worker', 30_000);
    try {
      const first = await worker.getNextJob('token');
      expect(first?.id).toBe('1');
      expect(first?.name).toBe(jobs[0]!.name);
      expect(first?.data).toEqual(JSON.parse(jobs[0]!.data));
      expect(first?.opts).toEqual((await queue.getJob('2'))?.opts);
    } finally {
      await worker.close(true);
      connection.disconnect();
    }
  });
});
