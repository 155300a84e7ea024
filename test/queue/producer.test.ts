import type { Queue } from 'bullmq';
import type { RedisClient } from '../../src/queue/redis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metrics } from '../../src/metrics/metrics';
import { Outbox } from '../../src/queue/outbox';
import { QueueSink } from '../../src/queue/producer';
import { createShardQueues } from '../../src/queue/queues';
import { createRedis } from '../../src/queue/redis';
import { shardOf } from '../../src/queue/shard';
import type { StatsEvent } from '../../src/stats/types';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { keystems, packEvent, resetEvent } from '../pipeline/support/events';
import { captureLogger } from '../pipeline/support/log';

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
  outbox = await Outbox.open({ dir, logger });
  metrics = new Metrics();
  sink = new QueueSink({
    redis,
    queues,
    outbox,
    enqueueTimeoutMs: 300,
    logger,
    metrics,
    replayIntervalMs: 50,
  });
});

afterEach(async () => {
  await sink.close();
  await Promise.all(queues.map((q) => q.close()));
  await outbox.close();
  redis.disconnect();
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function jobsInRedis(): Promise<Map<string, unknown>> {
  const found = new Map<string, unknown>();
  for (const q of queues) {
    for (const job of await q.getJobs(['wait'])) found.set(job.id!, { queue: q.name, data: job.data });
  }
  return found;
}

async function counter(name: keyof Metrics): Promise<number> {
  const metric = metrics[name] as { get(): Promise<{ values: Array<{ value: number }> }> };
  return (await metric.get()).values[0]?.value ?? 0;
}

describe('QueueSink', () => {
  it('puts each event in its shard queue under its event id, once', async () => {
    const events: StatsEvent[] = keystems(10).map((k) => packEvent(k));
    events.push(resetEvent('keystem-03'));
    for (const e of events) await sink.record(e);
    await sink.record(events[0]!); // a retried enqueue of the same event
    const jobs = await jobsInRedis();
    expect(jobs.size).toBe(events.length);
    for (const e of events) {
      expect(jobs.get(e.eventId)).toEqual({ queue: `stats-${shardOf(e.keystem, SHARDS)}`, data: e });
    }
    expect(await counter('eventsEnqueued')).toBe(events.length + 1);
    expect(outbox.isEmpty()).toBe(true);
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
    const jobs = await jobsInRedis();
    for (const e of [...before, ...during]) expect(jobs.has(e.eventId)).toBe(true);
    expect(await counter('outboxDepth')).toBe(0);

    // back to Redis directly
    const after = packEvent('keystem-01');
    await sink.record(after);
    expect(await counter('eventsOutboxed')).toBe(20);
    expect((await jobsInRedis()).has(after.eventId)).toBe(true);
  });
});
