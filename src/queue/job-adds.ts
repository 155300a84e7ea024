import { Job, type Queue } from 'bullmq';
import { luaScript } from '../util/lua-script';
import type { RedisClient } from './redis';

/**
 * Adds stats jobs to a shard queue, many per script call (lua/add-jobs-2.lua), written as
 * BullMQ's `Queue.add` writes them but for the events stream, which gets no "added" and
 * "waiting" events (test/queue/job-adds.process.test.ts compares the two), so BullMQ's workers,
 * counts and Bull Board see them as its own.
 *
 * Why not `Queue.add`: its script costs Redis ~45 µs a job, ~30 of them in Lua that handles
 * options stats jobs never use; this one ~15 µs. On the proxy's path to Redis, one job per shard
 * and event-loop turn, that was the largest cost Redis had per accepted event.
 */

export interface NewJob {
  name: string;
  /** the job's data, as BullMQ stores it (JSON) */
  data: string;
}

type AddCommands = RedisClient & { pacproxyAddJobs(...args: string[]): Promise<string[]> };

const ADD_JOBS = luaScript(__dirname, 'add-jobs-2.lua');
const KEYS = ['wait', 'paused', 'meta', 'id', 'active', 'marker'] as const;
/** A script blocks Redis while it runs: an outbox replay of thousands of jobs goes as several calls. */
const JOBS_PER_CALL = 50;

export class JobAdds {
  private readonly redis: AddCommands;
  private readonly keys: string[];
  private readonly jobPrefix: string;
  /** the queue's default job options, encoded as BullMQ stores them on each job */
  private readonly opts: string;

  constructor(connection: RedisClient, queue: Queue) {
    // defineCommand loads the script once per connection and calls it by SHA (EVALSHA)
    if (!('pacproxyAddJobs' in connection)) {
      connection.defineCommand('pacproxyAddJobs', { numberOfKeys: KEYS.length, lua: ADD_JOBS });
    }
    this.redis = connection as AddCommands;
    this.keys = KEYS.map((type) => queue.toKey(type));
    this.jobPrefix = queue.toKey('');
    this.opts = JSON.stringify(new Job(queue, '', null, queue.defaultJobOptions).asJSON().opts);
  }

  /** Adds the jobs in order; answers their ids. */
  async add(jobs: readonly NewJob[]): Promise<string[]> {
    const ids: string[] = [];
    for (let from = 0; from < jobs.length; from += JOBS_PER_CALL) {
      const args = [...this.keys, this.jobPrefix, String(Date.now()), this.opts];
      for (const job of jobs.slice(from, from + JOBS_PER_CALL)) args.push(job.name, job.data);
      ids.push(...(await this.redis.pacproxyAddJobs(...args)));
    }
    return ids;
  }
}
