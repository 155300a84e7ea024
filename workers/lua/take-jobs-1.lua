--[[
  Takes up to N waiting jobs of one BullMQ 5 queue into active, locked by a token, making per
  job the writes BullMQ's moveToActive makes (workers/job-batches.ts says why, and what it
  leaves out).

  KEYS: wait, active, events, meta, marker
  ARGV: job key prefix, timestamp, token, lockDuration (ms), worker name, max jobs
  Answers a flat array: id, name, data of each job taken, oldest first.
]]
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
