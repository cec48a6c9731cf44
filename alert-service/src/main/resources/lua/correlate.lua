-- One signal's effect on the correlations it feeds, atomically (alert-service, repository/CorrelationState).
-- KEYS[1]: the signal's "seen" key (set by the caller once the signal's alerts are stored: a replay after that is a
-- duplicate; a replay before it re-applies the same updates, which are idempotent, and fires the same firings).
-- Per op i (0-based): KEYS[2+3i] state, KEYS[3+3i] fired marker, KEYS[4+3i] evidence list.
-- ARGV[1] signal id, ARGV[2] event time (ms), ARGV[3] evidence entry ("id|trace|audit"), ARGV[4] number of ops;
-- per op, 5 ARGV from 5: type, window ms, threshold, x (value / matched steps / factor), y (steps / learning buckets);
-- then, optionally, a time to live in seconds: when no op fires, the signal is marked seen here (nothing is left for
-- the caller to store), saving the caller's own SET.
-- Returns {-1} for a duplicate, {1} when nothing fired and the signal was marked seen, else {0, op, n, evidence x n,
-- op, n, ...} for the ops that fired.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {-1}
end
local sid = ARGV[1]
local ts = tonumber(ARGV[2])
local entry = ARGV[3]
local ops = tonumber(ARGV[4])
local out = {0}

local function evidence(key, window)
  redis.call('LREM', key, 0, entry)
  redis.call('LPUSH', key, entry)
  redis.call('LTRIM', key, 0, 19)
  redis.call('PEXPIRE', key, window * 2)
end

-- fires once per window per group; a replay of the signal that fired fires again (same firing id downstream)
-- the evidence: the newest 20 entries of the op's list, or, for a count, of its members (each an entry itself)
local function fire(marker, window, i, list, members)
  local holder = redis.call('GET', marker)
  if holder == sid then
    -- replay
  elseif holder then
    return false
  else
    redis.call('SET', marker, sid, 'PX', window)
  end
  local items
  if members then
    items = redis.call('ZREVRANGE', members, 0, 19)
  else
    items = redis.call('LRANGE', list, 0, 19)
  end
  table.insert(out, i)
  table.insert(out, #items)
  for _, item in ipairs(items) do
    table.insert(out, item)
  end
  return true
end

for i = 0, ops - 1 do
  local state, marker, list = KEYS[2 + 3 * i], KEYS[3 + 3 * i], KEYS[4 + 3 * i]
  local a = 5 + 5 * i
  local kind, window, threshold = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local x, y = ARGV[a + 3], ARGV[a + 4]
  if kind == 'count' or kind == 'distinct' then
    -- a count's members are the signals' evidence entries (unique per signal), so they are its evidence too; a
    -- distinct count's members are the values, with the evidence in a list of its own
    local count = kind == 'count'
    redis.call('ZADD', state, ts, count and entry or x)
    redis.call('ZREMRANGEBYSCORE', state, '-inf', '(' .. (ts - window))
    -- the newest `threshold` members are all a count needs
    redis.call('ZREMRANGEBYRANK', state, 0, -(threshold + 1))
    redis.call('PEXPIRE', state, window * 2)
    if not count then
      evidence(list, window)
    end
    -- the window that ends with the newest member: signals delivered side by side arrive out of their time order
    local newest = tonumber(redis.call('ZRANGE', state, -1, -1, 'WITHSCORES')[2])
    local n = redis.call('ZCOUNT', state, newest - window, newest)
    if n >= threshold then
      fire(marker, window, i, list, count and state or nil)
    end
  elseif kind == 'ordered' then
    local steps = tonumber(y)
    for step in string.gmatch(x, '[^,]+') do
      redis.call('HSET', state, step, ts)
    end
    redis.call('PEXPIRE', state, window * 2)
    evidence(list, window)
    local times = redis.call('HMGET', state, unpack((function() local t = {} for s = 1, steps do t[s] = tostring(s) end return t end)()))
    local complete = true
    local first, previous = nil, nil
    for s = 1, steps do
      local t = tonumber(times[s])
      if not t or (previous and t < previous) then
        complete = false
        break
      end
      first = first or t
      previous = t
    end
    if complete and previous - first <= window then
      if fire(marker, window, i, list) then
        redis.call('DEL', state)
      end
    end
  elseif kind == 'anomaly' then
    local factor, learning = tonumber(x), tonumber(y)
    local bucket = math.floor(ts / window)
    local h = redis.call('HMGET', state, 'b', 'c', 'avg', 'n')
    local b, c, avg, n = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0, tonumber(h[4]) or 0
    local alpha = 2 / (learning + 1)
    if not b then
      b = bucket
    elseif bucket > b then
      avg = avg + alpha * (c - avg)
      local gap = math.min(bucket - b - 1, 1000)
      for _ = 1, gap do
        avg = avg * (1 - alpha)
      end
      n = n + 1 + gap
      c = 0
      b = bucket
    end
    c = c + 1
    redis.call('HSET', state, 'b', b, 'c', c, 'avg', tostring(avg), 'n', n)
    redis.call('PEXPIRE', state, math.min(window * (learning + 2) * 4, 604800000))
    evidence(list, window)
    if n >= learning and c >= threshold and c >= factor * math.max(avg, 1) then
      fire(marker, window, i, list)
    end
  elseif kind == 'seen' then
    -- x-absence: the group was heard from at ts (state: zset of groups by last time; list: the group's labels)
    -- bounded: past 10,000 groups a correlation watches no new ones
    if redis.call('ZSCORE', state, x) or redis.call('ZCARD', state) < 10000 then
      redis.call('ZADD', state, 'GT', ts, x)
      redis.call('HSET', marker, x, y)
    end
  end
end
local quiet_ttl = ARGV[5 + 5 * ops]
if quiet_ttl and #out == 1 then
  redis.call('SET', KEYS[1], '1', 'EX', tonumber(quiet_ttl))
  return {1}
end
return out
