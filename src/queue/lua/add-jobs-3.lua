--[[
  Adds jobs to one BullMQ queue in one call, making per job the writes BullMQ 5's addStandardJob
  makes for a job without custom id, parent, delay, priority, deduplication or repeat (what a
  stats job is): the counter id, the job hash, the push to wait (or paused) and the worker marker.
  Why: addStandardJob spends ~30 µs of Lua per call on its general case before the ~10 µs of
  writes; this does the writes alone (src/queue/job-adds.ts).
  Version 2: no "added" and "waiting" events in the queue's events stream (BullMQ's QueueEvents):
  nothing reads them for stats queues, and their two XADDs were a quarter of the script's writes.

  KEYS: wait, paused, meta, id, active, marker
  ARGV: job key prefix, timestamp, opts (JSON, as BullMQ stores them), then name, data per job
  Answers the ids of the jobs added, in order.
]]
local waitKey, pausedKey, metaKey, idKey, activeKey, markerKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local prefix, timestamp, opts = ARGV[1], ARGV[2], ARGV[3]

-- the cap of the events stream, for BullMQ's own scripts (which still write events), set as
-- addStandardJob sets it
if not redis.call("HGET", metaKey, "opts.maxLenEvents") then
  redis.call("HSET", metaKey, "opts.maxLenEvents", 10000)
end

-- where new jobs go, as getTargetQueueList decides: paused, or waiting (marked unless maxed)
local meta = redis.call("HMGET", metaKey, "paused", "concurrency")
local target, pausedOrMaxed = waitKey, false
if meta[1] then
  target, pausedOrMaxed = pausedKey, true
elseif meta[2] and redis.call("LLEN", activeKey) >= tonumber(meta[2]) then
  pausedOrMaxed = true
end

local ids = {}
for i = 4, #ARGV, 2 do
  local name, data = ARGV[i], ARGV[i + 1]
  local jobId = redis.call("INCR", idKey) .. ""
  redis.call("HMSET", prefix .. jobId, "name", name, "data", data, "opts", opts,
    "timestamp", timestamp, "delay", 0, "priority", 0)
  redis.call("LPUSH", target, jobId)
  if not pausedOrMaxed then redis.call("ZADD", markerKey, 0, "0") end
  ids[#ids + 1] = jobId
end
return ids
