--[[
  Completes jobs of one BullMQ 5 queue locked by a token, leaving per job what BullMQ's
  moveToFinished leaves for a completed job (workers/job-batches.ts says why, and what it
  leaves out): lock deleted, out of stalled and active, atm one higher, returnvalue and
  finishedOn, in completed.
  Version 2: the writes that take many keys or members (lock deletions, the stalled set, the
  completed set, removing the oldest completed jobs) go as one command per call instead of one
  per job, and atm is written with returnvalue (read with ats, which also tells that the job
  exists): each command a script runs costs Redis ~1–2 µs beyond its own work, a write more
  (it is copied to the AOF and replicas).
  Version 3: no "completed" and "drained" events in the queue's events stream (nothing reads
  them for stats queues; the XADD was a fifth of Redis's work per job taken and completed).
  Version 4: the locks are read with one MGET per call instead of one GET per job.

  KEYS: active, stalled, completed
  ARGV: job key prefix, timestamp, token, completed jobs to keep, job ids…
  Answers one code per job, as moveToFinished does: 0 completed, -1 no such job, -2 lock
  missing, -6 lock held by another token, -3 not active.
]]
local activeKey, stalledKey, completedKey = KEYS[1], KEYS[2], KEYS[3]
local prefix, timestamp, token, keep = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

-- `command [key] values…`, in slices small enough for unpack (Lua's stack is bounded); the
-- slices' array replies joined (MGET's)
local function inSlices(command, key, values)
  local replies = {}
  for from = 1, #values, 1000 do
    local to = math.min(from + 999, #values)
    local reply
    if key then
      reply = redis.call(command, key, unpack(values, from, to))
    else
      reply = redis.call(command, unpack(values, from, to))
    end
    if type(reply) == "table" then
      for _, value in ipairs(reply) do replies[#replies + 1] = value end
    end
  end
  return replies
end

-- every job's lock, read at once
local lockKeys = {}
for i = 5, #ARGV do lockKeys[#lockKeys + 1] = prefix .. ARGV[i] .. ":lock" end
local held = inSlices("MGET", nil, lockKeys)

-- locks are deleted after the loop: a job named twice finds its lock gone the second time
local codes, locks, unlocked, completed, unlockedHere = {}, {}, {}, {}, {}
for i = 5, #ARGV do
  local jobId = ARGV[i]
  local jobKey = prefix .. jobId
  local code = 0
  -- every job taken has ats (take-jobs sets it): none means no such job, as EXISTS would say
  local attempts = redis.call("HMGET", jobKey, "ats", "atm")
  if not attempts[1] then
    code = -1
  else
    local lock = held[i - 4]
    if unlockedHere[jobId] then lock = false end
    if lock ~= token then
      code = lock and -6 or -2
    else
      locks[#locks + 1] = jobKey .. ":lock"
      unlocked[#unlocked + 1] = jobId
      unlockedHere[jobId] = true
      if redis.call("LREM", activeKey, -1, jobId) < 1 then
        code = -3
      else
        redis.call("HSET", jobKey, "atm", (tonumber(attempts[2]) or 0) + 1,
          "returnvalue", "null", "finishedOn", timestamp)
        completed[#completed + 1] = timestamp
        completed[#completed + 1] = jobId
      end
    end
  end
  codes[#codes + 1] = code
end
inSlices("DEL", nil, locks)
inSlices("SREM", stalledKey, unlocked)
inSlices("ZADD", completedKey, completed)

-- keep the newest completed jobs, as removeOnComplete { count } does: the jobs dropped (as many
-- as this call completed once the set is full) removed with their logs in one DEL
local excess = redis.call("ZCARD", completedKey) - keep
if excess > 0 then
  local removed = {}
  for _, oldId in ipairs(redis.call("ZRANGE", completedKey, 0, excess - 1)) do
    removed[#removed + 1] = prefix .. oldId
    removed[#removed + 1] = prefix .. oldId .. ":logs"
  end
  inSlices("DEL", nil, removed)
  redis.call("ZREMRANGEBYRANK", completedKey, 0, excess - 1)
end
return codes
