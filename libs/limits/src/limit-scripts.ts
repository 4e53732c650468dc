/**
 * Admission in one atomic Lua script, so concurrent requests on any number of replicas can
 * never both take the last slot or the last dollar.
 *
 * Outstanding reservations live in a sorted set (member "<requestId>:<amountNano>", scored by
 * expiry) beside a running total of their amounts, so admission costs the same with 10 or
 * 100,000 requests in flight: LLM calls last seconds, and a scope's set holds every call in
 * flight plus every event the worker has not settled yet. Expired members leave the set and the
 * total together, at most EXPIRE_BATCH per call (a backlog left by a long worker outage frees
 * over several admissions instead of stalling Redis in one).
 *
 * KEYS[1]                      spend-hydrated marker
 * KEYS[2 .. 1+R]               rate counter bases (the window start is appended here)
 * KEYS[2+R ..] in triples      budget: reservations zset, its running total, spent counter
 * ARGV: R, B, requestId, amount, reservationTtlMs, then R x (limit, windowSeconds), then B x limit
 * (the reservation's member is "<requestId>:<amount>")
 *
 * Returns {0, limit, remaining, resetSeconds}       admitted (tightest rate limit, or -1s)
 *         {1, index, limit, resetSeconds}           rate limited
 *         {2, index, limitNano, committedNano}      budget exhausted
 *         {3}                                       spend counters need rebuilding from Postgres
 */
export const ADMIT_SCRIPT = `
local EXPIRE_BATCH = 1000
local time = redis.call('TIME')
local nowS = tonumber(time[1])
local nowMs = nowS * 1000 + math.floor(tonumber(time[2]) / 1000)
local R = tonumber(ARGV[1])
local B = tonumber(ARGV[2])
local member = ARGV[3] .. ':' .. ARGV[4]
local amount = tonumber(ARGV[4])
local ttlMs = tonumber(ARGV[5])
if B > 0 and redis.call('EXISTS', KEYS[1]) == 0 then return {3} end

local function amountOf(m) return tonumber(string.match(m, ':(%d+)$')) or 0 end
-- Never shortens: the set may hold reservations held until settled (HOLD_SCRIPT).
local function extendTtl(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end

-- The amounts still reserved in a scope, after dropping the expired ones.
local function outstanding(zset, totalKey)
  if redis.call('EXISTS', totalKey) == 0 and redis.call('ZCARD', zset) > 0 then
    -- A set without its total (written before totals existed, or evicted): rebuilt once.
    local total = 0
    for _, m in ipairs(redis.call('ZRANGE', zset, 0, -1)) do total = total + amountOf(m) end
    redis.call('SET', totalKey, string.format('%d', total))
    local ttl = redis.call('PTTL', zset)
    if ttl > 0 then redis.call('PEXPIRE', totalKey, ttl) end
  end
  local expired = redis.call('ZRANGEBYSCORE', zset, '-inf', nowMs, 'LIMIT', 0, EXPIRE_BATCH)
  if #expired > 0 then
    local freed = 0
    for _, m in ipairs(expired) do freed = freed + amountOf(m) end
    -- Lowest scores first: the members just read are ranks 0 .. #expired - 1.
    redis.call('ZREMRANGEBYRANK', zset, 0, #expired - 1)
    redis.call('DECRBY', totalKey, string.format('%d', freed))
  end
  if redis.call('ZCARD', zset) == 0 then
    -- Nothing outstanding: whatever the total says is drift (say, it outlived its set).
    redis.call('DEL', totalKey)
    return 0
  end
  return math.max(0, tonumber(redis.call('GET', totalKey) or '0'))
end

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
  local base = 1 + R + (j - 1) * 3
  local limit = tonumber(ARGV[budgetArgs + j])
  local committed = tonumber(redis.call('GET', KEYS[base + 3]) or '0') + outstanding(KEYS[base + 1], KEYS[base + 2])
  if committed + amount > limit then return {2, j, limit, committed} end
end

for i = 1, R do
  redis.call('INCR', rate[i][1])
  redis.call('EXPIRE', rate[i][1], rate[i][2] + 1)
end
for j = 1, B do
  local base = 1 + R + (j - 1) * 3
  -- A scope's budgets share its set: the reservation (and its amount) counts once.
  if redis.call('ZADD', KEYS[base + 1], 'NX', nowMs + ttlMs, member) == 1 then
    redis.call('INCRBY', KEYS[base + 2], ARGV[4])
  end
  extendTtl(KEYS[base + 1], ttlMs + 60000)
  extendTtl(KEYS[base + 2], ttlMs + 60000)
end
return {0, tightLimit, tightRemaining, tightReset}
`;

/**
 * Settles a batch of requests, each once: releases its reservation and adds its actual cost to
 * every spend counter of its key and user. Idempotent per request through a marker. One call
 * per batch: the worker settles a whole batch of events, and a script call per event cost
 * Redis more than the counting itself.
 *
 * Spend is only added to counters that have been rebuilt from Postgres: added before the rebuild,
 * it would be counted again by it (the rebuild reads what Postgres holds, the events settled
 * meanwhile included). A call that would add spend while the spend-hydrated marker is missing
 * changes nothing and answers {-1}: the caller rebuilds, then settles again.
 *
 * KEYS[1]: spend-hydrated marker. Then, per request: settled marker, Z pairs (reservation zset,
 * its running total), C spent counters.
 * ARGV[1]: 1 when a request of the call adds spend. Then, per request: Z, C, reservation member
 * ('' when none), actualNano, markerTtlSeconds, then one TTL per counter (0 = none).
 * Returns one flag per request: 1 settled now, 0 settled before; or {-1} (rebuild first).
 */
export const SETTLE_SCRIPT = `
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local settled = {}
local k, a = 2, 2
while a <= #ARGV do
  local Z, C = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local member, actual, markerTtl = ARGV[a + 2], tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  if redis.call('SET', KEYS[k], '1', 'NX', 'EX', markerTtl) then
    if member ~= '' then
      local reserved = string.match(member, ':(%d+)$')
      for i = 1, Z do
        -- Only a reservation still in its set is still in the total (an expired one left both).
        -- Without a total, the next admission rebuilds it from the set: nothing to subtract.
        if redis.call('ZREM', KEYS[k + 2 * i - 1], member) == 1 and reserved and redis.call('EXISTS', KEYS[k + 2 * i]) == 1 then
          redis.call('DECRBY', KEYS[k + 2 * i], reserved)
        end
      end
    end
    if actual > 0 then
      for c = 1, C do
        local counter = KEYS[k + 2 * Z + c]
        redis.call('INCRBY', counter, actual)
        local ttl = tonumber(ARGV[a + 4 + c])
        if ttl > 0 then redis.call('EXPIRE', counter, ttl) end
      end
    end
    settled[#settled + 1] = 1
  else
    settled[#settled + 1] = 0
  end
  k = k + 1 + 2 * Z + C
  a = a + 5 + C
end
return settled
`;

/**
 * Holds reservations until their events are settled: once an event is queued for the worker it
 * is durable, and its reservation must keep counting however long the worker is down (else a
 * budget could be spent again while the events that spent it wait in the queue). Only
 * reservations still in their set are touched: one the worker already settled stays settled.
 *
 * KEYS, per reservation: its set, its running total. ARGV: holdMs, then one member per pair.
 * Returns how many reservations it extended.
 */
export const HOLD_SCRIPT = `
local time = redis.call('TIME')
local untilMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[1])
local keyTtl = tonumber(ARGV[1]) + 60000
local held = 0
for i = 1, #KEYS / 2 do
  local set, total, member = KEYS[2 * i - 1], KEYS[2 * i], ARGV[1 + i]
  local score = redis.call('ZSCORE', set, member)
  if score and tonumber(score) < untilMs then
    redis.call('ZADD', set, 'XX', untilMs, member)
    held = held + 1
    for _, key in ipairs({set, total}) do
      if redis.call('PTTL', key) < keyTtl then redis.call('PEXPIRE', key, keyTtl) end
    end
  end
end
return held
`;

/**
 * Writes counters rebuilt from Postgres, unless the rebuild is already done: the spend-hydrated
 * marker says another process finished one (a rebuild that outlived its lock). Counters are set,
 * not added to: spend is only ever added to rebuilt counters (SETTLE_SCRIPT), so whatever a
 * counter holds before the rebuild (written by a release that counted without a rebuild, or
 * left by a partial loss) is not to be counted on top of Postgres. Called in chunks; the marker
 * is set by the caller after the last.
 *
 * KEYS[1]: spend-hydrated marker; KEYS[2 ..]: counters. ARGV: per counter, nano and TTL seconds (0 = none).
 * Returns 1 when written, 0 when the rebuild was already done.
 */
export const HYDRATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[2 * i - 3])
  local ttl = tonumber(ARGV[2 * i - 2])
  if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) end
end
return 1
`;
