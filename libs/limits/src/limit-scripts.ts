/**
 * Admission in one atomic Lua script, so concurrent requests on any number of replicas can
 * never both take the last slot or the last dollar.
 *
 * KEYS[1]                      spend-hydrated marker
 * KEYS[2 .. 1+R]               rate counter bases (the window start is appended here)
 * KEYS[2+R ..] in pairs        budget: reservations zset, spent counter
 * ARGV: R, B, member, amount, reservationTtlMs, then R x (limit, windowSeconds), then B x limit
 *
 * Returns {0, limit, remaining, resetSeconds}       admitted (tightest rate limit, or -1s)
 *         {1, index, limit, resetSeconds}           rate limited
 *         {2, index, limitNano, committedNano}      budget exhausted
 *         {3}                                       spend counters need rebuilding from Postgres
 */
export const ADMIT_SCRIPT = `
local time = redis.call('TIME')
local nowS = tonumber(time[1])
local nowMs = nowS * 1000 + math.floor(tonumber(time[2]) / 1000)
local R = tonumber(ARGV[1])
local B = tonumber(ARGV[2])
local member = ARGV[3]
local amount = tonumber(ARGV[4])
local ttlMs = tonumber(ARGV[5])
if B > 0 and redis.call('EXISTS', KEYS[1]) == 0 then return {3} end

local rate = {}
local tightLimit, tightRemaining, tightReset = -1, -1, -1
for i = 1, R do
  local limit = tonumber(ARGV[5 + (i - 1) * 2 + 1])
  local window = tonumber(ARGV[5 + (i - 1) * 2 + 2])
  local start = nowS - (nowS % window)
  local key = KEYS[1 + i] .. ':' .. start
  local count = tonumber(redis.call('GET', key) or '0')
  local reset = start + window - nowS
  if count >= limit then return {1, i, limit, reset} end
  rate[i] = {key, window}
  local remaining = limit - count - 1
  if tightRemaining < 0 or remaining < tightRemaining then
    tightLimit, tightRemaining, tightReset = limit, remaining, reset
  end
end

local budgetArgs = 5 + R * 2
for j = 1, B do
  local zset = KEYS[1 + R + (j - 1) * 2 + 1]
  local spentKey = KEYS[1 + R + (j - 1) * 2 + 2]
  local limit = tonumber(ARGV[budgetArgs + j])
  redis.call('ZREMRANGEBYSCORE', zset, '-inf', nowMs)
  local reserved = 0
  for _, m in ipairs(redis.call('ZRANGE', zset, 0, -1)) do
    reserved = reserved + tonumber(string.match(m, ':(%d+)$'))
  end
  local committed = tonumber(redis.call('GET', spentKey) or '0') + reserved
  if committed + amount > limit then return {2, j, limit, committed} end
end

for i = 1, R do
  redis.call('INCR', rate[i][1])
  redis.call('EXPIRE', rate[i][1], rate[i][2] + 1)
end
for j = 1, B do
  local zset = KEYS[1 + R + (j - 1) * 2 + 1]
  redis.call('ZADD', zset, nowMs + ttlMs, member .. ':' .. amount)
  redis.call('PEXPIRE', zset, ttlMs + 60000)
end
return {0, tightLimit, tightRemaining, tightReset}
`;

/**
 * Settles a batch of requests, each once: releases its reservation and adds its actual cost to
 * every spend counter of its key and user. Idempotent per request through a marker. One call
 * per batch: the worker settles a whole batch of events, and a script call per event cost
 * Redis more than the counting itself.
 *
 * KEYS, per request: settled marker, its Z reservation zsets, its C spent counters.
 * ARGV, per request: Z, C, reservation member ('' when none), actualNano, markerTtlSeconds,
 * then one TTL per counter (0 = none).
 * Returns one flag per request: 1 settled now, 0 settled before.
 */
export const SETTLE_SCRIPT = `
local settled = {}
local k, a = 1, 1
while a <= #ARGV do
  local Z, C = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local member, actual, markerTtl = ARGV[a + 2], tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  if redis.call('SET', KEYS[k], '1', 'NX', 'EX', markerTtl) then
    if member ~= '' then
      for i = 1, Z do redis.call('ZREM', KEYS[k + i], member) end
    end
    if actual > 0 then
      for c = 1, C do
        local counter = KEYS[k + Z + c]
        redis.call('INCRBY', counter, actual)
        local ttl = tonumber(ARGV[a + 4 + c])
        if ttl > 0 then redis.call('EXPIRE', counter, ttl) end
      end
    end
    settled[#settled + 1] = 1
  else
    settled[#settled + 1] = 0
  end
  k = k + 1 + Z + C
  a = a + 5 + C
end
return settled
`;
