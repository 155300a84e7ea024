--[[
  Adds jobs to one or more BullMQ queues in one call, leaving per job what BullMQ 5's
  addStandardJob leaves for a job without custom id, parent, delay, priority, deduplication or
  repeat (what a stats job is): the counter id, the job hash, the push to wait (or paused), and
  the worker marker (once per queue: it is one member, set the same by each job).
  Why: addStandardJob spends ~30 µs of Lua per call on its general case before the ~10 µs of
  writes; this does the writes alone (src/queue/job-adds.ts).
  Version 2: no "added" and "waiting" events in the queue's events stream (BullMQ's QueueEvents):
  nothing reads them for stats queues, and their two XADDs were a quarter of the script's writes.
  Version 3: many queues per call (the proxy's group commit sends every shard's job of an
  event-loop turn in one call: each call costs Redis a round trip and a script start), one
  INCRBY and one LPUSH per queue instead of one of each per job, and the queue's meta read once
  (each command a script runs costs Redis a few µs beyond its own work).

  KEYS: per queue: wait, paused, meta, id, active, marker
  ARGV: timestamp, opts (JSON, as BullMQ stores them), then per queue: job key prefix, number of
    jobs, then name, data per job
  Answers the ids of the jobs added, in order, across queues.
]]
local timestamp, opts = ARGV[1], ARGV[2]
local ids = {}
local arg = 3
for first = 1, #KEYS, 6 do
  local waitKey, pausedKey, metaKey, idKey, activeKey, markerKey =
    KEYS[first], KEYS[first + 1], KEYS[first + 2], KEYS[first + 3], KEYS[first + 4], KEYS[first + 5]
  local prefix, count = ARGV[arg], tonumber(ARGV[arg + 1])
  arg = arg + 2

  local meta = redis.call("HMGET", metaKey, "paused", "concurrency", "opts.maxLenEvents")
  -- the cap of the events stream, for BullMQ's own scripts (which still write events), set as
  -- addStandardJob sets it
  if not meta[3] then redis.call("HSET", metaKey, "opts.maxLenEvents", 10000) end

  -- where new jobs go, as getTargetQueueList decides: paused, or waiting (marked unless maxed)
  local target, pausedOrMaxed = waitKey, false
  if meta[1] then
    target, pausedOrMaxed = pausedKey, true
  elseif meta[2] and redis.call("LLEN", activeKey) >= tonumber(meta[2]) then
    pausedOrMaxed = true
  end

  if count > 0 then
    -- the ids INCR would give one by one, and the pushes of one LPUSH per job (the same list)
    local last = redis.call("INCRBY", idKey, count)
    local queued = {}
    for id = last - count + 1, last do
      local jobId = id .. ""
      redis.call("HMSET", prefix .. jobId, "name", ARGV[arg], "data", ARGV[arg + 1], "opts", opts,
        "timestamp", timestamp, "delay", 0, "priority", 0)
      arg = arg + 2
      queued[#queued + 1] = jobId
      ids[#ids + 1] = jobId
    end
    for from = 1, #queued, 1000 do
      redis.call("LPUSH", target, unpack(queued, from, math.min(from + 999, #queued)))
    end
    if not pausedOrMaxed then redis.call("ZADD", markerKey, 0, "0") end
  end
end
return ids
