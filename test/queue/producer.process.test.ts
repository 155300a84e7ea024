import type { Queue } from 'bullmq';
import type { RedisClient } from '../../src/queue/redis';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metrics } from '../../src/metrics/metrics';
import { Outbox } from '../../src/queue/outbox';
import { QueueSink, type QueueSinkOptions } from '../../src/queue/producer';
import { createShardQueues } from '../../src/queue/queues';
import { createRedis } from '../../src/queue/redis';
import { shardOf } from '../../src/queue/shard';
import type { StatsEvent } from '../../src/stats/types';
import { decodeJob } from '../../src/queue/event-codec';
import { RedisProcess } from '../helpers/redis-server';
import { CAN_MOUNT_DISKS, TinyDisk } from '../helpers/tiny-disk';
import { waitFor } from '../helpers/wait';
import { keystems, packEvent, resetEvent } from '../pipeline/support/events';
import { captureLogger } from '../pipeline/support/log';
import { HOUR_MS, stepWallClock } from '../helpers/wall-clock';

const SHARDS = 4;
let redisServer: RedisProcess;
let dir: string;
let redis: RedisClient;
let queues: Queue[];
let outbox: Outbox;
let sink: QueueSink;
let metrics: Metrics;

beforeEach(async () => {
  redisServer = await RedisProcess.start();
  dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-producer-'));
  const { logger } = captureLogger();
  redis = createRedis(redisServer.url, 'fail-fast', 'test-producer', logger);
  queues = createShardQueues(redis, SHARDS);
  // connected before a test stops Redis: what follows tells an unanswered call from a refused one
  await Promise.all(queues.map((q) => q.waitUntilReady()));
  outbox = await Outbox.open({ dir, logger });
  metrics = new Metrics();
  sink = newSink();
});

/**
 * A sink over this test's Redis, queues, outbox and metrics. The enqueue timeout is generous: on
 * a loaded machine an add that timed out and landed later would be in Redis AND the outbox (the
 * ledger's business, not these tests'); a stopped Redis fails at once on a fail-fast connection.
 */
function newSink(opts: Partial<QueueSinkOptions> = {}): QueueSink {
  const { logger } = captureLogger();
  return new QueueSink({
    redis,
    queues,
    outbox,
    enqueueTimeoutMs: 2000,
    logger,
    metrics,
    replayIntervalMs: 50,
    ...opts,
  });
}

afterEach(async () => {
  await sink.close();
  await Promise.all(queues.map((q) => q.close()));
  await outbox.close();
  redis.disconnect();
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every job waiting in Redis, oldest first, with its queue and the events it carries. */
async function jobsInRedis(): Promise<Array<{ queue: string; events: StatsEvent[] }>> {
  const found = [];
  for (const q of queues) {
    for (const job of await q.getJobs(['wait'])) {
      found.push({ id: Number(job.id), queue: q.name, events: decodeJob(job.data).events });
    }
  }
  return found.sort((a, b) => a.id - b.id).map(({ queue, events }) => ({ queue, events }));
}

/** Event id → how many times it is in Redis. */
async function eventsInRedis(): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (const job of await jobsInRedis()) {
    for (const e of job.events) seen.set(e.eventId, (seen.get(e.eventId) ?? 0) + 1);
  }
  return seen;
}

async function counter(name: keyof Metrics): Promise<number> {
  const metric = metrics[name] as { get(): Promise<{ values: Array<{ value: number }> }> };
  return (await metric.get()).values[0]?.value ?? 0;
}

/** Script calls Redis has run so far (INFO commandstats). */
async function scriptCalls(): Promise<number> {
  // ioredis calls a script by its SHA, and sends it whole when Redis does not have it yet
  const info = await redis.info('commandstats');
  return [...info.matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('QueueSink', () => {
  it('sends the events of one shard recorded in the same turn as ONE job, in order, every shard in one call', async () => {
    const events: StatsEvent[] = keystems(10).flatMap((k) => [packEvent(k), packEvent(k)]);
    events.push(resetEvent('keystem-03'), packEvent('keystem-03'));
    const callsBefore = await scriptCalls();
    await Promise.all(events.map((e) => sink.record(e)));
    // first: had Redis not taken them in time, they would be in the outbox (and no call counted)
    expect(outbox.isEmpty()).toBe(true);
    expect((await scriptCalls()) - callsBefore).toBe(1);
    const jobs = await jobsInRedis();
    const shards = new Set(events.map((e) => shardOf(e.keystem, SHARDS)));
    expect(jobs).toHaveLength(shards.size);
    for (const job of jobs) {
      const shard = Number(job.queue.replace('stats-', ''));
      expect(job.events).toEqual(events.filter((e) => shardOf(e.keystem, SHARDS) === shard));
    }
    expect(await counter('eventsEnqueued')).toBe(events.length);

    // events of later turns go as later jobs
    await sink.record(packEvent('keystem-01'));
    expect(await jobsInRedis()).toHaveLength(shards.size + 1);
  });

  it('gathers what is recorded while a call is on its way into the next call', async () => {
    const callsBefore = await scriptCalls();
    const first = sink.record(packEvent('keystem-00'));
    // the first call is sent at the end of this turn; what follows waits for it to come back
    await new Promise(setImmediate);
    const later = keystems(8).map((k) => packEvent(k));
    await Promise.all([first, ...later.map((e) => sink.record(e))]);
    expect((await scriptCalls()) - callsBefore).toBe(2);
    expect((await eventsInRedis()).size).toBe(later.length + 1);
  });

  it('with groupMs, sends what is recorded within groupMs of the last call as one later call', async () => {
    const grouping = newSink({ groupMs: 300 });
    try {
      // long after any call: the first event goes at once
      const callsBefore = await scriptCalls();
      const sentAt = Date.now();
      await grouping.record(packEvent('keystem-00'));
      expect(Date.now() - sentAt).toBeLessThan(300);
      expect((await scriptCalls()) - callsBefore).toBe(1);

      // the next ones, over several turns within the window, wait for it to pass and go together
      const later: Array<Promise<void>> = [];
      for (const k of keystems(6)) {
        later.push(grouping.record(packEvent(k)));
        await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.all(later);
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(300);
      expect((await scriptCalls()) - callsBefore).toBe(2);
      expect((await eventsInRedis()).size).toBe(7);
      // operators read the grouping as events per call
      expect(await counter('enqueueCalls')).toBe(2);
      expect(await counter('eventsEnqueued')).toBe(7);
    } finally {
      await grouping.close();
    }
  });

  it('with groupMs, measures the window on the monotonic clock: a wall clock stepped back holds no event', async () => {
    const requests = { count: 0 };
    const grouping = newSink({ groupMs: 100, requestsInFlight: requests });
    let clock: { restore(): void } | undefined;
    try {
      await grouping.record(packEvent('keystem-00'));
      clock = stepWallClock(-HOUR_MS);
      // another request in progress, so only the window can send this event
      requests.count = 2;
      const outcome = await Promise.race([
        grouping.record(packEvent('keystem-01')).then(() => 'accepted'),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3000).unref()),
      ]);
      expect(outcome).toBe('accepted');
    } finally {
      clock?.restore();
      await grouping.close();
    }
  });

  it('with groupMs, close() sends what waits for the window at once', async () => {
    const grouping = newSink({ groupMs: 60_000 });
    await grouping.record(packEvent('keystem-00'));
    const waiting = grouping.record(packEvent('keystem-01')); // would wait a minute
    await new Promise(setImmediate);
    await grouping.close();
    await waiting;
    expect((await eventsInRedis()).size).toBe(2);
    expect(outbox.isEmpty()).toBe(true);
  });

  it('with groupMs, sends at once once every request in progress waits on it (requestsInFlight)', async () => {
    const requests = { count: 0 };
    const grouping = newSink({ groupMs: 120_000, requestsInFlight: requests });
    try {
      requests.count = 1;
      await grouping.record(packEvent('keystem-00')); // long after any call: at once
      const callsBefore = await counter('enqueueCalls');
      const startedAt = Date.now();

      // two requests in progress: the first one's event waits (for the window, or the other)
      requests.count = 2;
      const first = grouping.record(packEvent('keystem-01'));
      await new Promise((r) => setTimeout(r, 200));
      expect((await eventsInRedis()).size).toBe(1);

      // the other one's event: no further event can come, so both go now, in one call
      const second = grouping.record(packEvent('keystem-02'));
      await Promise.all([first, second]);
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      expect((await counter('enqueueCalls')) - callsBefore).toBe(1);
      expect((await eventsInRedis()).size).toBe(3);
    } finally {
      await grouping.close();
    }
  });

  it('with groupMs, sends what gathered behind a call once the requests that call answered have ended', async () => {
    const requests = { count: 2 };
    const grouping = newSink({ groupMs: 120_000, requestsInFlight: requests });
    try {
      const startedAt = Date.now();
      // the first request's answer ends it, as the pack flow's does
      const first = grouping.record(packEvent('keystem-00')).then(() => requests.count--);
      await new Promise(setImmediate); // its call is on its way
      const second = grouping.record(packEvent('keystem-01'));
      await Promise.all([first, second]);
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      expect((await eventsInRedis()).size).toBe(2);
    } finally {
      await grouping.close();
    }
  });

  it('sends what waited behind a call Redis never answered to the outbox too, every shard of it', async () => {
    const stalled = newSink({ enqueueTimeoutMs: 300 });
    redisServer.pause();
    try {
      const first = stalled.record(packEvent('keystem-00'));
      await new Promise(setImmediate); // its call is on its way, and gets no answer
      const behind = keystems(8).map((k) => packEvent(k)); // several shards
      await Promise.all([first, ...behind.map((e) => stalled.record(e))]);
      expect(outbox.depth).toBe(behind.length + 1);
    } finally {
      redisServer.resume();
      await stalled.close();
    }
  });

  it('caps a job at maxEventsPerJob events', async () => {
    const capped = newSink({ maxEventsPerJob: 3 });
    const events = Array.from({ length: 7 }, () => packEvent('keystem-01'));
    await Promise.all(events.map((e) => capped.record(e)));
    await capped.close();
    const jobs = await jobsInRedis();
    expect(jobs.map((j) => j.events.length)).toEqual([3, 3, 1]);
    expect(jobs.flatMap((j) => j.events)).toEqual(events);
  });

  it('keeps accepting while Redis is dead (outbox), then replays every event into Redis', async () => {
    const before = keystems(5).map((k) => packEvent(k));
    for (const e of before) await sink.record(e);

    await redisServer.kill();
    const during = keystems(20).map((k) => packEvent(k));
    await Promise.all(during.map((e) => sink.record(e)));
    expect(outbox.depth).toBe(20);
    expect(await counter('eventsOutboxed')).toBe(20);
    expect(await counter('outboxDepth')).toBe(20);

    // still outboxing while the outbox is not empty: order per keystem is kept
    await redisServer.restart();
    await waitFor(() => outbox.isEmpty(), { timeoutMs: 15_000, what: 'outbox replay' });
    const inRedis = await eventsInRedis();
    for (const e of [...before, ...during]) expect(inRedis.get(e.eventId)).toBe(1);
    expect(await counter('outboxDepth')).toBe(0);

    // back to Redis directly
    const after = packEvent('keystem-01');
    await sink.record(after);
    expect(await counter('eventsOutboxed')).toBe(20);
    expect((await eventsInRedis()).get(after.eventId)).toBe(1);
  });

  it("sends a keystem's events through the outbox while it holds a reset of that keystem", async () => {
    // a reset a previous run left in the outbox; Redis is up, no replay during the test
    await sink.close();
    await outbox.close();
    const reset = resetEvent('keystem-01');
    writeFileSync(path.join(dir, 'segment-1.jsonl'), `${JSON.stringify(reset)}\n`);
    outbox = await Outbox.open({ dir, logger: captureLogger().logger });
    sink = newSink({ replayIntervalMs: 60_000 });
    const sameKeystem = packEvent('keystem-01');
    const other = packEvent('keystem-02');
    await sink.record(sameKeystem);
    await sink.record(other);
    expect(outbox.depth).toBe(2); // the reset, then the event that must follow it
    expect([...(await eventsInRedis()).keys()]).toEqual([other.eventId]);
  });

  const withDisk = CAN_MOUNT_DISKS ? it : it.skip;
  withDisk(
    'sends new events to Redis once it is back although the outbox is full; refused ones are never enqueued',
    async () => {
      await sink.close();
      await outbox.close();
      const disk = (await TinyDisk.mount(path.join(dir, 'tiny'), 128 * 1024))!;
      try {
        outbox = await Outbox.open({ dir: disk.dir, logger: captureLogger().logger });
        sink = newSink();
        await redisServer.kill();
        const outboxed = keystems(20).map((k) => packEvent(k));
        await Promise.all(outboxed.map((e) => sink.record(e)));
        expect(outbox.depth).toBe(20);

        disk.fill();
        const refused = keystems(5).map((k) => packEvent(k));
        const outcomes = await Promise.allSettled(refused.map((e) => sink.record(e)));
        expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);

        await redisServer.restart();
        await waitFor(async () => (await sink.health()).degraded.every((d) => d.part !== 'redis'), {
          what: 'Redis answering',
        });
        const after = keystems(50).map((k) => packEvent(k));
        await Promise.all(after.map((e) => sink.record(e))); // none refused: Redis takes them
        await waitFor(() => outbox.isEmpty(), { timeoutMs: 15_000, what: 'outbox drained behind' });

        const inRedis = await eventsInRedis();
        for (const e of [...outboxed, ...after]) expect(inRedis.get(e.eventId)).toBe(1);
        for (const e of refused) expect(inRedis.has(e.eventId)).toBe(false);
      } finally {
        await sink.close();
        await outbox.close();
        disk.free();
        await disk.unmount();
      }
      outbox = await Outbox.open({ dir, logger: captureLogger().logger });
      sink = newSink();
    },
  );
});
