-- Sliding window as a weighted two-window counter (one hash per key: field = window index, value = count).
-- The estimate is previous * (share of the previous window still inside the sliding window) + current.
-- Bound: at most `limit` units per aligned window, and at most 2 * limit in any sliding window of the same
-- length (when the previous window's traffic sat at its very end); under even traffic, about `limit`.
-- KEYS[i]: one descriptor.  ARGV per key (3 each): limit, window_ms, cost.
-- Returns per key (4 each): allowed (1/0), remaining, reset_ms, retry_after_ms.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local base = (i - 1) * 3
  local limit = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local cost = tonumber(ARGV[base + 3])
  local w = math.floor(now / window)
  local elapsed = now - w * window
  local current = tonumber(redis.call('HGET', key, w) or '0')
  local previous = tonumber(redis.call('HGET', key, w - 1) or '0')
  local left = window - elapsed
  local estimate = previous * left / window + current
  local allowed = 0
  local retry = 0
  if estimate + cost <= limit then
    current = redis.call('HINCRBY', key, w, cost)
    redis.call('HDEL', key, w - 2)
    redis.call('PEXPIRE', key, left + window)
    estimate = estimate + cost
    allowed = 1
  elseif current + cost <= limit and previous > 0 then
    -- wait until enough of the previous window has slid out
    retry = math.ceil(left - (limit - current - cost) * window / previous)
  else
    -- not in this window: in the next one, the current count becomes the previous
    local wait = 0
    if current > 0 and cost <= limit then wait = window - (limit - cost) * window / current end
    if cost > limit then wait = window end
    retry = math.ceil(left + wait)
  end
  local remaining = math.floor(limit - estimate)
  if remaining < 0 then remaining = 0 end
  local reset = left
  if current > 0 then reset = left + window end
  out[#out + 1] = allowed
  out[#out + 1] = remaining
  out[#out + 1] = math.ceil(reset)
  out[#out + 1] = retry
end
return out
