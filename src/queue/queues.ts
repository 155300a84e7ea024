import { Queue, type JobsOptions } from 'bullmq';
import type { Logger } from '../log/logger';
import { withTimeout } from '../util/with-timeout';
import { SharedConnection } from './shared-connection';
import { createRedis, type RedisClient, type RedisTarget } from './redis';
import { DEAD_LETTER, allShards, shardLayout } from './shard';

/**
 * Completed jobs kept per shard queue, newest first, so Bull Board shows what a shard did last;
 * older ones are removed as new ones complete (the store's ledger, not Redis, remembers events).
 * Workers complete jobs in batches (workers/job-batches.ts), which keep the same number.
 */
export const KEEP_COMPLETED_JOBS = 100;

/**
 * Job options of every stats job (the producer adds jobs with them, job-adds.ts). Job ids are
 * BullMQ's counter: a job carries many events, and exactly-once rests on the event ids in the
 * store's ledger. Failed jobs are kept, never removed. No job ever fails in this pipeline:
 * workers only complete jobs or dead-letter them, and re-deliveries of stalled jobs are bounded
 * by the worker's maxStalledCount, which is set out of reach.
 */
export const STATS_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { count: KEEP_COMPLETED_JOBS },
  removeOnFail: false,
};

/**
 * The events stream of a queue (what BullMQ's QueueEvents reads; Bull Board does not) is capped,
 * so Redis memory stays flat: Pacproxy's scripts write no events, BullMQ's own fetch and stalled
 * checker still do.
 */
const STREAMS = { events: { maxLen: 1000 } };

/**
 * A Queue over Pacproxy's shared connection (shared-connection.ts says how BullMQ sees it).
 * Connection errors are logged once per outage by the connection itself (redis.ts).
 */
function sharedQueue(
  connection: RedisClient,
  where: { queue: string; prefix: string },
  defaultJobOptions: JobsOptions,
): Queue {
  const queue = new Queue(
    where.queue,
    { connection, prefix: where.prefix, defaultJobOptions, streams: STREAMS },
    SharedConnection,
  );
  queue.on('error', () => undefined);
  return queue;
}

/** One BullMQ Queue per shard, index = shard, all over one (shared, pipelined) connection. */
export function createShardQueues(connection: RedisClient, shards: number): Queue[] {
  return allShards(shards).map((layout) => sharedQueue(connection, layout, STATS_JOB_OPTIONS));
}

/** Where workers put jobs whose data is not a stats event, with the reason. Nobody consumes it. */
export function createDeadLetterQueue(connection: RedisClient): Queue {
  return sharedQueue(connection, DEAD_LETTER, { removeOnComplete: false, removeOnFail: false });
}

/** How long a start waits for Redis to tell whether it holds an earlier layout's queues. */
const LAYOUT_CHECK_TIMEOUT_MS = 2000;

/**
 * Whether Redis holds a shard queue numbered `from` … `to - 1` (its job counter exists): queues
 * of a layout with more shards than `from`, which an earlier version made. A Redis that does not
 * answer within LAYOUT_CHECK_TIMEOUT_MS tells nothing (false): a proxy starts without Redis.
 */
export async function holdsShardQueues(
  target: RedisTarget | string,
  range: { from: number; to: number },
  logger: Logger,
): Promise<boolean> {
  // commands wait for the connection (the check starts before it is up); the deadline bounds them
  const redis = createRedis(target, 'worker', 'pacproxy-layout-check', logger);
  const counters = [];
  for (let shard = range.from; shard < range.to; shard++) {
    const { prefix, queue } = shardLayout(shard);
    // one key per call: in a Cluster the shards' keys live in different slots
    counters.push(redis.exists(`${prefix}:${queue}:id`));
  }
  try {
    const found = await withTimeout(Promise.all(counters), LAYOUT_CHECK_TIMEOUT_MS, 'Redis layout check');
    return found.some((n) => n > 0);
  } catch (err) {
    logger.warn({ err }, 'Redis did not say whether it holds shard queues of an earlier version');
    return false;
  } finally {
    redis.disconnect();
  }
}
