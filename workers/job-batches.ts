import type { RedisClient } from '../src/queue/redis';
import { luaScript } from '../src/util/lua-script';

/**
 * Redis-side batch operations on one BullMQ queue: take up to N waiting jobs into `active`
 * (locked by a token), and complete a set of locked jobs, each in ONE Lua script call
 * (lua/take-jobs-3.lua, lua/complete-jobs-4.lua).
 *
 * Why: BullMQ moves jobs one script call at a time (moveToActive, moveToFinished), and Redis
 * spends ~60 µs of Lua per call whatever the script does — more than everything else a stats
 * event costs. These scripts make, per job, the writes BullMQ's scripts make for a job of a
 * stats queue (the same keys, lock, stalled set and marker; BullMQ 5.x layout), so BullMQ's own
 * stalled checker, lock extension, counts and Bull Board see the jobs as BullMQ would — but no
 * events in the queue's events stream (BullMQ's QueueEvents): nothing reads them for stats
 * queues, and they were a fifth of Redis's work per job. They cover only what stats queues use:
 * no priorities, delays, rate limits, parents or deduplication ids, and completed jobs are kept
 * up to a count (BullMQ's `removeOnComplete: { count }`), older ones removed. The idle wait for
 * the first job of a batch stays BullMQ's own blocking fetch, which handles everything.
 */

const TAKE_JOBS = luaScript(__dirname, 'take-jobs-3.lua');
const COMPLETE_JOBS = luaScript(__dirname, 'complete-jobs-4.lua');

/**
 * Jobs per script call: a script blocks Redis while it runs (~5–10 µs a job), so a batch of a
 * thousand goes as several calls, between which other clients' commands run.
 */
const JOBS_PER_CALL = 250;

/**
 * A job taken from the queue. Its data stays as Redis stored it (JSON bytes, outside V8's heap)
 * until the commit reads it (jobDataOf): the parsed events then live for one synchronous commit
 * instead of a whole batch window across every shard, which kept them alive through garbage
 * collections (a fifth of the worker's time draining a backlog). BullMQ's own fetch hands over
 * the data already parsed.
 */
export interface TakenJob {
  id: string;
  name: string;
  /** JSON bytes as stored (a Buffer), or data already parsed */
  data: unknown;
}

/** A job's data: the parsed JSON, or the raw text when it is not JSON. */
export function jobDataOf(job: TakenJob): unknown {
  return Buffer.isBuffer(job.data) ? parseJson(job.data.toString('utf8')) : job.data;
}

export interface JobBatchesOptions {
  connection: RedisClient;
  /** BullMQ's key of the queue's part (`worker.toKey`), e.g. `bull:stats-3:wait` for 'wait' */
  toKey: (type: string) => string;
  /** the lock token of the jobs taken and completed */
  token: string;
  lockDurationMs: number;
  /** stored on each job as `pb` (processed by), as BullMQ does */
  workerName: string;
  /** completed jobs kept in the queue (newest first), as `removeOnComplete: { count }` */
  keepCompleted: number;
}

/** A job whose completion was refused, with moveToFinished's code for why. */
export interface RefusedCompletion {
  id: string;
  code: number;
}

type BatchCommands = RedisClient & {
  /** ioredis' variant of pacproxyTakeJobs that answers Buffers */
  pacproxyTakeJobsBuffer(...args: string[]): Promise<Buffer[]>;
  pacproxyCompleteJobs(...args: string[]): Promise<number[]>;
};

export class JobBatches {
  private readonly redis: BatchCommands;
  private readonly takeKeys: string[];
  private readonly completeKeys: string[];
  private readonly jobPrefix: string;

  constructor(private readonly opts: JobBatchesOptions) {
    const { connection, toKey } = opts;
    // defineCommand loads each script once per connection and calls it by SHA (EVALSHA)
    connection.defineCommand('pacproxyTakeJobs', { numberOfKeys: 4, lua: TAKE_JOBS });
    connection.defineCommand('pacproxyCompleteJobs', { numberOfKeys: 3, lua: COMPLETE_JOBS });
    this.redis = connection as BatchCommands;
    this.takeKeys = ['wait', 'active', 'meta', 'marker'].map(toKey);
    this.completeKeys = ['active', 'stalled', 'completed'].map(toKey);
    this.jobPrefix = toKey('');
  }

  /**
   * Takes up to `max` waiting jobs, oldest first, locked by the token; none while the queue is
   * paused. A first call that comes back full means a backlog: the calls for the rest then go out
   * together (Redis runs them in order, so the jobs stay oldest first). With `backlog` (the last
   * take came back full) every call goes out at once: one round trip instead of two, each of which
   * waited behind the other shards' calls and the worker's commits.
   */
  async take(max: number, backlog = false): Promise<TakenJob[]> {
    const calls = (from: number) => {
      const pending: Array<Promise<Buffer[]>> = [];
      for (let left = max - from; left > 0; left -= JOBS_PER_CALL) {
        pending.push(this.takeCall(Math.min(left, JOBS_PER_CALL)));
      }
      return Promise.all(pending);
    };
    let replies: Buffer[][];
    if (backlog) replies = await calls(0);
    else {
      const first = Math.min(max, JOBS_PER_CALL);
      replies = [await this.takeCall(first)];
      if (replies[0]!.length / 3 === first) replies.push(...(await calls(first)));
    }
    const jobs: TakenJob[] = [];
    for (const flat of replies) {
      for (let i = 0; i < flat.length; i += 3) {
        jobs.push({ id: flat[i]!.toString(), name: flat[i + 1]!.toString(), data: flat[i + 2]! });
      }
    }
    return jobs;
  }

  /** One call of the take script: id, name and data of each job taken, flat. */
  private takeCall(wanted: number): Promise<Buffer[]> {
    const { token, lockDurationMs, workerName } = this.opts;
    return this.redis.pacproxyTakeJobsBuffer(
      ...this.takeKeys,
      this.jobPrefix,
      String(Date.now()),
      token,
      String(lockDurationMs),
      workerName,
      String(wanted),
    );
  }

  /** Completes jobs locked by the token (keeping the newest completed); answers those refused. */
  async complete(ids: readonly string[]): Promise<RefusedCompletion[]> {
    const now = String(Date.now());
    const calls: Array<Promise<number[]>> = [];
    for (let from = 0; from < ids.length; from += JOBS_PER_CALL) {
      const chunk = ids.slice(from, from + JOBS_PER_CALL);
      calls.push(
        this.redis.pacproxyCompleteJobs(
          ...this.completeKeys,
          this.jobPrefix,
          now,
          this.opts.token,
          String(this.opts.keepCompleted),
          ...chunk,
        ),
      );
    }
    const codes = (await Promise.all(calls)).flat();
    const refused: RefusedCompletion[] = [];
    codes.forEach((code, i) => {
      if (code !== 0) refused.push({ id: ids[i]!, code });
    });
    return refused;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
