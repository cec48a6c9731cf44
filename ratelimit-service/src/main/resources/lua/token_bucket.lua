-- Token bucket as GCRA: one value per key, the theoretical arrival time (TAT) in ms. A bucket of `burst`
-- tokens refills at limit per window; nothing is stored for an idle key once it is full again.
-- KEYS[i]: one descriptor.  ARGV per key (4 each): limit, window_ms, burst, cost.
-- Returns per key (4 each): allowed (1/0), remaining, reset_ms (until full), retry_after_ms.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local out = {}
for i, key in ipairs(KEYS) do
  local base = (i - 1) * 4
  local limit = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local burst = tonumber(ARGV[base + 3])
  local cost = tonumber(ARGV[base + 4])
  local allowed = 0
  local remaining = 0
  local reset = 0
  local retry = 0
  if limit <= 0 then
    retry = window
  else
    local interval = window / limit
    local tolerance = interval * burst
    local tat = tonumber(redis.call('GET', key) or '0')
    if tat < now then tat = now end
    local new_tat = tat + cost * interval
    local allow_at = new_tat - tolerance
    if allow_at <= now then
      redis.call('SET', key, string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now))
      allowed = 1
      tat = new_tat
    else
      retry = math.ceil(allow_at - now)
    end
    remaining = math.floor((tolerance - (tat - now)) / interval)
    if remaining < 0 then remaining = 0 end
    reset = math.ceil(tat - now)
  end
  out[#out + 1] = allowed
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
end
return out
