import type { RedisClient } from '../src/queue/redis';

/**
 * Redis-side batch operations on one BullMQ queue: take up to N waiting jobs into `active`
 * (locked by a token), and complete a set of locked jobs, each in ONE Lua script call.
 *
 * Why: BullMQ moves jobs one script call at a time (moveToActive, moveToFinished), and Redis
 * spends ~60 µs of Lua per call whatever the script does — more than everything else a stats
 * event costs. These scripts make, per job, exactly the writes BullMQ's scripts make for a job
 * of a stats queue (the same keys, lock, stalled set, events stream and marker; BullMQ 5.x
 * layout), so BullMQ's own stalled checker, lock extension, counts and Bull Board see the jobs
 * as BullMQ would. They cover only what stats queues use: no priorities, delays, rate limits,
 * parents or deduplication ids, and completed jobs are kept up to a count (BullMQ's
 * `removeOnComplete: { count }`), older ones removed. The idle wait for the first job
 * of a batch stays BullMQ's own blocking fetch, which handles everything.
 */

/**
 * KEYS: wait, active, events, meta, marker. ARGV: job key prefix, timestamp, token,
 * lockDuration (ms), worker name, max jobs.
 * Answers a flat array: id, name, data of each job taken, oldest first.
 */
const TAKE_JOBS = `
local waitKey, activeKey, eventsKey, metaKey, markerKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local prefix, timestamp, token, lockDuration, workerName = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local max = tonumber(ARGV[6])
local meta = redis.call("HMGET", metaKey, "paused", "concurrency")
if meta[1] then return {} end
if meta[2] then
  max = math.min(max, tonumber(meta[2]) - redis.call("LLEN", activeKey))
end
local taken = {}
while max > 0 do
  local jobId = redis.call("RPOPLPUSH", waitKey, activeKey)
  if not jobId then break end
  if string.sub(jobId, 1, 2) == "0:" then
    -- a v4-style marker in the wait list, not a job
    redis.call("LREM", activeKey, 1, jobId)
  else
    local jobKey = prefix .. jobId
    redis.call("SET", jobKey .. ":lock", token, "PX", lockDuration)
    redis.call("XADD", eventsKey, "*", "event", "active", "jobId", jobId, "prev", "waiting")
    redis.call("HSET", jobKey, "processedOn", timestamp, "pb", workerName)
    redis.call("HINCRBY", jobKey, "ats", 1)
    local fields = redis.call("HMGET", jobKey, "name", "data")
    taken[#taken + 1] = jobId
    taken[#taken + 1] = fields[1] or ""
    taken[#taken + 1] = fields[2] or ""
    max = max - 1
  end
end
if #taken > 0 then redis.call("ZADD", markerKey, 0, "0") end
return taken
`;

/**
 * KEYS: wait, active, events, meta, stalled, completed. ARGV: job key prefix, timestamp, token,
 * completed jobs to keep, job ids…
 * Answers one code per job, as moveToFinished does: 0 completed, -1 no such job, -2 lock
 * missing, -6 lock held by another token, -3 not active.
 */
const COMPLETE_JOBS = `
local waitKey, activeKey, eventsKey, metaKey, stalledKey, completedKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local prefix, timestamp, token, keep = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local maxEvents = redis.call("HGET", metaKey, "opts.maxLenEvents") or 10000
redis.call("XTRIM", eventsKey, "MAXLEN", "~", maxEvents)
local codes = {}
for i = 5, #ARGV do
  local jobId = ARGV[i]
  local jobKey = prefix .. jobId
  local code = 0
  if redis.call("EXISTS", jobKey) == 0 then
    code = -1
  else
    local lock = redis.call("GET", jobKey .. ":lock")
    if lock ~= token then
      code = lock and -6 or -2
    else
      redis.call("DEL", jobKey .. ":lock")
      redis.call("SREM", stalledKey, jobId)
      if redis.call("LREM", activeKey, -1, jobId) < 1 then
        code = -3
      else
        redis.call("HINCRBY", jobKey, "atm", 1)
        redis.call("HSET", jobKey, "returnvalue", "null", "finishedOn", timestamp)
        redis.call("ZADD", completedKey, timestamp, jobId)
        redis.call("XADD", eventsKey, "*", "event", "completed", "jobId", jobId,
          "returnvalue", "null", "prev", "active")
      end
    end
  end
  codes[#codes + 1] = code
end
-- keep the newest completed jobs, as removeOnComplete { count } does: one DEL per job dropped,
-- as many as this call completed once the set is full (what removing each job on completion cost)
local excess = redis.call("ZCARD", completedKey) - keep
if excess > 0 then
  for _, oldId in ipairs(redis.call("ZRANGE", completedKey, 0, excess - 1)) do
    redis.call("DEL", prefix .. oldId, prefix .. oldId .. ":logs")
  end
  redis.call("ZREMRANGEBYRANK", completedKey, 0, excess - 1)
end
if redis.call("LLEN", waitKey) == 0 and redis.call("LLEN", activeKey) == 0 then
  redis.call("XADD", eventsKey, "*", "event", "drained")
end
return codes
`;

/**
 * Jobs per script call: a script blocks Redis while it runs (~5–10 µs a job), so a batch of a
 * thousand goes as several calls, between which other clients' commands run.
 */
const JOBS_PER_CALL = 250;

/** A job taken from the queue: its data is the parsed JSON, or the raw text when it is not JSON. */
export interface TakenJob {
  id: string;
  name: string;
  data: unknown;
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
  pacproxyTakeJobs(...args: string[]): Promise<string[]>;
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
    connection.defineCommand('pacproxyTakeJobs', { numberOfKeys: 5, lua: TAKE_JOBS });
    connection.defineCommand('pacproxyCompleteJobs', { numberOfKeys: 6, lua: COMPLETE_JOBS });
    this.redis = connection as BatchCommands;
    this.takeKeys = ['wait', 'active', 'events', 'meta', 'marker'].map(toKey);
    this.completeKeys = ['wait', 'active', 'events', 'meta', 'stalled', 'completed'].map(toKey);
    this.jobPrefix = toKey('');
  }

  /**
   * Takes up to `max` waiting jobs, oldest first, locked by the token; none while the queue is
   * paused. A call that comes back short found the queue empty, so no further call is made.
   */
  async take(max: number): Promise<TakenJob[]> {
    const { token, lockDurationMs, workerName } = this.opts;
    const jobs: TakenJob[] = [];
    for (let left = max; left > 0;) {
      const wanted = Math.min(left, JOBS_PER_CALL);
      const flat = await this.redis.pacproxyTakeJobs(
        ...this.takeKeys,
        this.jobPrefix,
        String(Date.now()),
        token,
        String(lockDurationMs),
        workerName,
        String(wanted),
      );
      for (let i = 0; i < flat.length; i += 3) {
        jobs.push({ id: flat[i]!, name: flat[i + 1]!, data: parseJson(flat[i + 2]!) });
      }
      if (flat.length / 3 < wanted) break;
      left -= wanted;
    }
    return jobs;
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
