import type { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { KEEP_COMPLETED_JOBS, createShardQueues } from '../../src/queue/queues';
import { shardLayout } from '../../src/queue/shard';
import type { PackEvent } from '../../src/stats/types';
import { JobBatches, jobDataOf, type TakenJob } from '../../workers/job-batches';
import { createManualWorker } from '../../workers/manual-worker';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { packEvent } from './support/events';

/**
 * The batch scripts against a real Redis and BullMQ's own view of the queue: what they take
 * and complete must look to BullMQ (counts, locks, stalled checker, lock extension) exactly
 * like jobs moved by BullMQ's scripts.
 */
describe('JobBatches (taking and completing jobs a batch per script call)', () => {
  const KEEP = KEEP_COMPLETED_JOBS;
  let server: RedisProcess;
  let redis: Redis;
  let queue: Queue;
  let worker: Worker;
  let workerConnection: Redis;

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
    workerConnection = redis.duplicate();
    // a short lock duration makes its stalled checker run every half second
    worker = createManualWorker(shardLayout(0), workerConnection, 'test-worker', 1000);
    await worker.waitUntilReady();
  });
  afterEach(async () => {
    await worker.close(true);
    await queue.close();
    workerConnection.disconnect();
    redis.disconnect();
  });

  function batches(token: string, lockDurationMs = 30_000, keepCompleted = KEEP): JobBatches {
    return new JobBatches({
      connection: redis,
      toKey: (type) => worker.toKey(type),
      token,
      lockDurationMs,
      workerName: 'test-worker',
      keepCompleted,
    });
  }

  async function addEvents(n: number): Promise<PackEvent[]> {
    const events = Array.from({ length: n }, () => packEvent('acme'));
    await queue.addBulk(events.map((e) => ({ name: e.kind, data: e, opts: { jobId: e.eventId } })));
    return events;
  }

  /** A taken job with its data read, as the commit reads it. */
  const read = (job: TakenJob) => ({ ...job, data: jobDataOf(job) });

  const lockOf = (id: string) => redis.get(`${worker.toKey(id)}:lock`);

  it('takes waiting jobs oldest first, locked by its token, as BullMQ would make them active', async () => {
    const events = await addEvents(600); // more than one script call's worth
    const taken = await batches('token-a').take(550);

    expect(taken.map((j) => j.id)).toEqual(events.slice(0, 550).map((e) => e.eventId));
    expect(Buffer.isBuffer(taken[0]!.data)).toBe(true); // read at the commit, not held parsed
    expect(read(taken[0]!)).toEqual({ id: events[0]!.eventId, name: 'pack', data: events[0] });
    expect(await queue.getJobCounts('wait', 'active')).toEqual({ wait: 50, active: 550 });
    expect(await lockOf(taken[549]!.id)).toBe('token-a');
    const job = await queue.getJob(taken[0]!.id);
    expect(job?.processedOn).toBeGreaterThan(0);
    expect(job?.processedBy).toBe('test-worker');
    expect(await job?.getState()).toBe('active');
  });

  it('takes a known backlog in calls sent together, still oldest first, and answers what there is', async () => {
    const events = await addEvents(600);
    const jobs = batches('token-a');

    const first = await jobs.take(500, true); // two calls at once
    const rest = await jobs.take(1000, true); // four calls at once: the queue has 100 left
    expect([...first, ...rest].map((j) => j.id)).toEqual(events.map((e) => e.eventId));
    expect(await queue.getJobCounts('wait', 'active')).toEqual({ wait: 0, active: 600 });
    expect(await jobs.take(1000, true)).toEqual([]);
  });

  it('moves jobs to active as one move per job would (newest at the head), skipping v4-style markers', async () => {
    const events = await addEvents(3);
    // a marker of BullMQ 4 among the jobs: dropped, never taken
    await redis.linsert(worker.toKey('wait'), 'BEFORE', events[1]!.eventId, '0:123');

    const taken = await batches('t').take(10);

    expect(taken.map((j) => j.id)).toEqual(events.map((e) => e.eventId));
    expect(await redis.lrange(worker.toKey('active'), 0, -1)).toEqual(events.map((e) => e.eventId).reverse());
    expect(await redis.llen(worker.toKey('wait'))).toBe(0);
  });

  it('hands over job data that is not JSON as its raw text (the consumer dead-letters it)', async () => {
    const [event] = await addEvents(1);
    await redis.hset(worker.toKey(event!.eventId), 'data', '{not json');

    const [job] = await batches('t').take(1);

    expect(read(job!)).toEqual({ id: event!.eventId, name: 'pack', data: '{not json' });
  });

  it('takes nothing from a paused queue, and what is left once it is empty', async () => {
    await addEvents(3);
    await queue.pause();
    expect(await batches('t').take(10)).toEqual([]);
    await queue.resume();
    expect(await batches('t').take(10)).toHaveLength(3);
    expect(await batches('t').take(10)).toEqual([]);
  });

  it('completes the jobs it holds, keeping the newest as BullMQ would, with no events', async () => {
    await addEvents(KEEP + 200);
    const jobs = batches('token-a');
    const taken = await jobs.take(KEEP + 200);
    const older = taken.slice(0, 200);
    const newest = taken.slice(200);

    expect(await jobs.complete(older.map((j) => j.id))).toEqual([]);
    await new Promise((r) => setTimeout(r, 5)); // a later timestamp: the newest are told apart
    expect(await jobs.complete(newest.map((j) => j.id))).toEqual([]);

    expect(await queue.getJobCounts('wait', 'active', 'completed', 'failed')).toEqual({
      wait: 0,
      active: 0,
      completed: KEEP,
      failed: 0,
    });
    const kept = await queue.getJobs(['completed'], 0, -1);
    expect(kept.map((j) => j.id).sort()).toEqual(newest.map((j) => j.id).sort());
    const last = await queue.getJob(newest.at(-1)!.id);
    expect(await last?.getState()).toBe('completed');
    expect([(last?.finishedOn ?? 0) > 0, last?.attemptsMade, last?.returnvalue]).toEqual([true, 1, null]);
    expect(last?.data).toEqual(expect.objectContaining({ eventId: newest.at(-1)!.id }));
    // the older ones are gone, job hash, lock and all
    expect(await queue.getJob(older[0]!.id)).toBeUndefined();
    expect(await redis.exists(worker.toKey(older[0]!.id))).toBe(0);
    expect(await lockOf(taken[0]!.id)).toBeNull();
    // no "active" or "completed" events: nothing reads a stats queue's events stream
    const events = await redis.xrange(worker.toKey('events'), '-', '+');
    expect(events.filter(([, fields]) => ['active', 'completed'].includes(fields[1]!))).toEqual([]);
  });

  it('keeps the same newest jobs as BullMQ does for a job completed by its own script', async () => {
    await addEvents(KEEP + 1);
    const jobs = batches('token-a');
    const taken = await jobs.take(KEEP + 1);
    expect(await jobs.complete(taken.map((j) => j.id))).toEqual([]);
    // a job completed by BullMQ's moveToFinished under STATS_JOB_OPTIONS trims the same set
    await queue.add('pack', packEvent('acme'), { jobId: 'bullmq-own' });
    const job = (await worker.getNextJob('token-b'))!;
    await job.moveToCompleted(null, 'token-b', false);
    expect(await queue.getCompletedCount()).toBe(KEEP);
    expect(await (await queue.getJob('bullmq-own'))?.getState()).toBe('completed');
  });

  it('refuses to complete a job whose lock another token holds, or that is gone', async () => {
    const [first, second] = await addEvents(2);
    const jobs = batches('token-a');
    await jobs.take(2);
    await redis.set(`${worker.toKey(first!.eventId)}:lock`, 'token-b');

    const refused = await jobs.complete([first!.eventId, second!.eventId, 'no-such-job']);

    expect(refused).toEqual([
      { id: first!.eventId, code: -6 },
      { id: 'no-such-job', code: -1 },
    ]);
    expect(await (await queue.getJob(first!.eventId))?.getState()).toBe('active');
    expect(await (await queue.getJob(second!.eventId))?.getState()).toBe('completed');
  });

  it('completes a job named twice in one call once: the second time its lock is gone (-2)', async () => {
    const [event] = await addEvents(1);
    const jobs = batches('token-a');
    await jobs.take(1);

    expect(await jobs.complete([event!.eventId, event!.eventId])).toEqual([{ id: event!.eventId, code: -2 }]);
    expect(await queue.getJobCounts('active', 'completed')).toEqual({ active: 0, completed: 1 });
    expect(await (await queue.getJob(event!.eventId))?.attemptsMade).toBe(1);
  });

  it('removes a thousand and more old completed jobs in one call once fewer are kept', async () => {
    const added = await addEvents(1201);
    const taken = await batches('token-a').take(1201);
    const keepAll = batches('token-a', 30_000, 5000);
    expect(await keepAll.complete(taken.slice(0, 1200).map((j) => j.id))).toEqual([]);
    expect(await queue.getCompletedCount()).toBe(1200);
    await new Promise((r) => setTimeout(r, 5)); // the last one completes later: it is the newest

    const keepTen = batches('token-a', 30_000, 10);
    expect(await keepTen.complete([taken[1200]!.id])).toEqual([]);

    expect(await queue.getCompletedCount()).toBe(10);
    expect(await redis.exists(worker.toKey(added[0]!.eventId))).toBe(0);
    expect(await (await queue.getJob(added[1200]!.eventId))?.getState()).toBe('completed');
  });

  it("leaves jobs whose owner died to BullMQ's stalled checker, which returns them to wait", async () => {
    await addEvents(5);
    const taken = await batches('dead-owner', 300).take(5);
    await waitFor(async () => (await lockOf(taken[0]!.id)) === null, { what: 'the locks to expire' });

    void worker.startStalledCheckTimer();

    await waitFor(async () => (await queue.getWaitingCount()) === 5, { what: 'jobs back in wait' });
    expect(await queue.getActiveCount()).toBe(0);
  });

  it("lets BullMQ's lock extension keep its locks alive", async () => {
    await addEvents(2);
    const taken = await batches('token-a', 1000).take(2);
    const ids = taken.map((j) => j.id);

    const failed = await worker.extendJobLocks(ids, ['token-a', 'token-a'], 60_000);

    expect(failed).toEqual([]);
    expect(await redis.pttl(`${worker.toKey(ids[0]!)}:lock`)).toBeGreaterThan(1000);
  });
});
