--[[
  Takes up to N waiting jobs of one BullMQ 5 queue into active, locked by a token, leaving per
  job what BullMQ's moveToActive leaves (workers/job-batches.ts says why, and what it leaves
  out): the job moved from wait to active, its lock, processedOn, pb and ats one higher.
  Version 2: the jobs move from wait to active in three list commands per call instead of one
  RPOPLPUSH per job, and ats is written with processedOn (read with name and data): each
  command a script runs costs Redis ~1 µs beyond its own work.
  Version 3: no "active" event in the queue's events stream (nothing reads it for stats queues;
  the XADD was a fifth of Redis's work per job taken and completed).

  KEYS: wait, active, meta, marker
  ARGV: job key prefix, timestamp, token, lockDuration (ms), worker name, max jobs
  Answers a flat array: id, name, data of each job taken, oldest first.
]]
local waitKey, activeKey, metaKey, markerKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix, timestamp, token, lockDuration, workerName = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local max = tonumber(ARGV[6])
local meta = redis.call("HMGET", metaKey, "paused", "concurrency")
if meta[1] then return {} end
if meta[2] then
  max = math.min(max, tonumber(meta[2]) - redis.call("LLEN", activeKey))
end
if max < 1 then return {} end

-- the oldest `max` waiting ids are the list's tail, the oldest last (jobs are pushed at its head)
local waiting = redis.call("LRANGE", waitKey, -max, -1)
if #waiting == 0 then return {} end
redis.call("LTRIM", waitKey, 0, -#waiting - 1)

local ids = {}
for i = #waiting, 1, -1 do
  -- a v4-style marker in the wait list is not a job: dropped, as moveToActive drops it
  if string.sub(waiting[i], 1, 2) ~= "0:" then ids[#ids + 1] = waiting[i] end
end
if #ids == 0 then return {} end
-- pushed oldest first, so active ends as one RPOPLPUSH per job would leave it (in slices
-- small enough for unpack: Lua's stack is bounded)
for from = 1, #ids, 1000 do
  redis.call("LPUSH", activeKey, unpack(ids, from, math.min(from + 999, #ids)))
end

local taken = {}
for _, jobId in ipairs(ids) do
  local jobKey = prefix .. jobId
  redis.call("SET", jobKey .. ":lock", token, "PX", lockDuration)
  local fields = redis.call("HMGET", jobKey, "name", "data", "ats")
  redis.call("HSET", jobKey, "processedOn", timestamp, "pb", workerName,
    "ats", (tonumber(fields[3]) or 0) + 1)
  taken[#taken + 1] = jobId
  taken[#taken + 1] = fields[1] or ""
  taken[#taken + 1] = fields[2] or ""
end
redis.call("ZADD", markerKey, 0, "0")
return taken
