--[[
  Completes jobs of one BullMQ 5 queue locked by a token, making per job the writes BullMQ's
  moveToFinished makes for a completed job (workers/job-batches.ts says why, and what it
  leaves out).

  KEYS: wait, active, events, meta, stalled, completed
  ARGV: job key prefix, timestamp, token, completed jobs to keep, job ids…
  Answers one code per job, as moveToFinished does: 0 completed, -1 no such job, -2 lock
  missing, -6 lock held by another token, -3 not active.
]]
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
