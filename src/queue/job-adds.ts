import { Job, type Queue } from 'bullmq';
import { luaScript } from '../util/lua-script';
import type { RedisClient } from './redis';

/**
 * Adds stats jobs to shard queues, the jobs of many queues per script call
 * (lua/add-jobs-3.lua), written as BullMQ's `Queue.add` writes them but for the events stream,
 * which gets no "added" and "waiting" events (test/queue/job-adds.process.test.ts compares the
 * two), so BullMQ's workers, counts and Bull Board see them as its own.
 *
 * Why not `Queue.add`: its script costs Redis ~45 µs a job, ~30 of them in Lua that handles
 * options stats jobs never use; this one ~15 µs. On the proxy's path to Redis that was the
 * largest cost Redis had per accepted event; a call per event-loop turn for every shard, rather
 * than one per shard, saves Redis a round trip and a script start per shard.
 */

export interface NewJob {
  name: string;
  /** the job's data, as BullMQ stores it (JSON) */
  data: string;
}

/** The jobs for one shard queue, in order. */
export interface ShardJobs {
  shard: number;
  jobs: readonly NewJob[];
}

type AddCommands = RedisClient & { pacproxyAddJobs(...args: string[]): Promise<string[]> };

const ADD_JOBS = luaScript(__dirname, 'add-jobs-3.lua');
const KEYS = ['wait', 'paused', 'meta', 'id', 'active', 'marker'] as const;
/** A script blocks Redis while it runs: an outbox replay of thousands of jobs goes as several calls. */
const JOBS_PER_CALL = 50;

interface QueueKeys {
  keys: string[];
  jobPrefix: string;
}

export class JobAdds {
  private readonly redis: AddCommands;
  /** per shard, index = shard */
  private readonly queues: QueueKeys[];
  /** the queues' default job options, encoded as BullMQ stores them on each job (the shard queues share them) */
  private readonly opts: string;

  /**
   * `queues`: the shard queues, index = shard (createShardQueues). In a Redis Cluster, the queues
   * of one call must share a slot: call `add` with one shard at a time.
   */
  constructor(connection: RedisClient, queues: readonly Queue[]) {
    const [first] = queues;
    if (!first) throw new Error('JobAdds needs at least one queue');
    // defineCommand loads the script once per connection and calls it by SHA (EVALSHA)
    if (!('pacproxyAddJobs' in connection)) {
      connection.defineCommand('pacproxyAddJobs', { lua: ADD_JOBS });
    }
    this.redis = connection as AddCommands;
    this.queues = queues.map((queue) => ({
      keys: KEYS.map((type) => queue.toKey(type)),
      jobPrefix: queue.toKey(''),
    }));
    this.opts = JSON.stringify(new Job(first, '', null, first.defaultJobOptions).asJSON().opts);
  }

  /** Adds the jobs in order (each shard's in its order); answers their ids, in the same order. */
  async add(batches: readonly ShardJobs[]): Promise<string[]> {
    const flat = batches.flatMap(({ shard, jobs }) => jobs.map((job) => ({ shard, job })));
    const ids: string[] = [];
    for (let from = 0; from < flat.length; from += JOBS_PER_CALL) {
      ids.push(...(await this.call(flat.slice(from, from + JOBS_PER_CALL))));
    }
    return ids;
  }

  /** One script call: consecutive jobs of a shard go as one run of that queue's jobs. */
  private call(jobs: ReadonlyArray<{ shard: number; job: NewJob }>): Promise<string[]> {
    const keys: string[] = [];
    const args = [String(Date.now()), this.opts];
    for (let i = 0; i < jobs.length;) {
      const { shard } = jobs[i]!;
      const queue = this.queues[shard];
      if (!queue) throw new Error(`no queue for shard ${shard}`);
      let end = i;
      while (end < jobs.length && jobs[end]!.shard === shard) end += 1;
      keys.push(...queue.keys);
      args.push(queue.jobPrefix, String(end - i));
      for (; i < end; i++) args.push(jobs[i]!.job.name, jobs[i]!.job.data);
    }
    return this.redis.pacproxyAddJobs(String(keys.length), ...keys, ...args);
  }
}
