-- Fixed window, aligned to the epoch like Envoy's reference service. Atomic per call; every key of the call
-- is decided in this one round trip.
-- KEYS[i]: counter of one descriptor.  ARGV per key (3 each): limit, window_ms, cost.
-- Returns per key (4 each): allowed (1/0), remaining, reset_ms, retry_after_ms.
-- A denied request does not consume: exactly `limit` units pass per window, whatever the concurrency.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local base = (i - 1) * 3
  local limit = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local cost = tonumber(ARGV[base + 3])
  local window_end = (math.floor(now / window) + 1) * window
  local used = tonumber(redis.call('GET', key) or '0')
  local allowed = 0
  if used + cost <= limit then
    used = redis.call('INCRBY', key, cost)
    if redis.call('PTTL', key) < 0 then
      redis.call('PEXPIREAT', key, window_end)
    end
    allowed = 1
  end
  local remaining = limit - used
  if remaining < 0 then remaining = 0 end
  local retry = 0
  if allowed == 0 then retry = window_end - now end
  out[#out + 1] = allowed
  out[#out + 1] = remaining
  out[#out + 1] = window_end - now
  out[#out + 1] = retry
end
return out
