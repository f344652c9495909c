"""The Lua scripts of the Redis store, each atomic and each in ONE hash slot.

The rules are not here: Python decides with the pure functions of ``srichan_world`` and these
scripts only make the outcome atomic. Visitor scripts run in the visitor's slot
(``srichan:{v:<id>}:*``), global scripts in the sequencer slot (``srichan:{g}:*``); every key
a script touches is passed in ``KEYS``, so Redis Cluster routes it and refuses a slip.
Floats are passed and stored as the strings Python wrote (Lua would round them to 14 digits).
"""

from __future__ import annotations

# -- visitor slot -------------------------------------------------------------------------------
# Visitor KEYS, in this order for VIEW and COMMIT:
#   1 hash (secret, nick, created, ver)  2 bal  3 out (outbox)  4 legs  5 att  6 awd  7 ans
#   8 qst  9 earn

VIEW = """
local values = {}
for i = 1, #ARGV, 2 do
  values[#values + 1] = redis.call('HGET', KEYS[tonumber(ARGV[i])], ARGV[i + 1])
end
return {
  redis.call('HEXISTS', KEYS[1], 'secret'),
  redis.call('HGET', KEYS[1], 'ver') or '0',
  values,
  redis.call('HGETALL', KEYS[3]),
}
"""
"""Read fields of a visitor's hashes at one instant: ``ARGV`` is (key index, field) pairs.
Returns registered (0/1), the state version, the values, and the outbox (flat)."""

COMMIT = """
if (redis.call('HGET', KEYS[1], 'ver') or '0') ~= ARGV[1] then
  return {0, 0, 0}
end
local ver = redis.call('HINCRBY', KEYS[1], 'ver', 1)
for i = 3, #ARGV, 3 do
  redis.call('HSET', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
end
local bal
if ARGV[2] ~= '0' then
  bal = redis.call('INCRBY', KEYS[2], ARGV[2])
else
  bal = tonumber(redis.call('GET', KEYS[2]) or '0')
end
return {1, ver, bal}
"""
"""Compare-and-set: apply (key index, field, value) writes and add ``ARGV[2]`` to the balance
only if the version is still ``ARGV[1]``; returns {ok, new version, balance}."""

REGISTER = """
local held = redis.call('HMGET', KEYS[1], 'secret', 'nick', 'created')
if held[1] then
  return held
end
redis.call('HSET', KEYS[1], 'secret', ARGV[1], 'created', ARGV[2], 'ver', '0')
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'newcomer', '1')
end
return {}
"""
"""Create a visitor unless it exists (``ARGV[3]`` '1': a newcomer, see the pending rule);
returns the stored (secret hash, nick, created) if so."""

NICKNAME = """
if redis.call('HEXISTS', KEYS[1], 'secret') == 0 then
  return false
end
redis.call('HSET', KEYS[1], 'nick', ARGV[1])
return redis.call('HGET', KEYS[1], 'created')
"""

DEBIT = """
local leg = redis.call('HGET', KEYS[2], ARGV[1])
if leg then
  if leg == '' then
    return {'pending', redis.call('HGET', KEYS[3], ARGV[4]) or ''}
  end
  return {'done', leg}
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  return {'conflict', ''}
end
local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
if balance < tonumber(ARGV[3]) then
  return {'short', tostring(balance)}
end
local left = redis.call('DECRBY', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], '')
redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
return {'new', tostring(left)}
"""
"""The paying side of a transfer from a visitor: KEYS bal, legs, out; ARGV debit leg field,
credit leg field (same key), amount, outbox id, outbox item. Debits once per key and queues
the global step (``new`` with the balance left); ``pending``/``done`` report an earlier call
with this key."""

CREDIT = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return 0
end
redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
"""
"""The receiving side of a sequenced transfer to a visitor: KEYS bal, legs; ARGV credit leg
field, amount, seq. Once per key."""

REFUND = """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= '' then
  return 0
end
if redis.call('HGET', KEYS[3], ARGV[3]) ~= ARGV[4] then
  return 0
end
redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[3])
return 1
"""
"""Undo a debit the sequencer refused: KEYS bal, legs, out; ARGV debit leg field, amount,
outbox id, the queued item exactly. Only that still-pending debit is given back, so a refusal
seen late never returns a newer debit made under the same key."""

ACK = """
local n = tonumber(ARGV[1])
for i = 2, 2 * n, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
for i = 2 * n + 2, #ARGV do
  redis.call('HDEL', KEYS[2], ARGV[i])
end
return 1
"""
"""The global step is done: KEYS legs, out; ARGV count, (leg field, seq) pairs, outbox ids."""

# -- sequencer slot -----------------------------------------------------------------------------
# POST KEYS: 1 seq  2 keys (transfer key -> seq)  3 entries (seq -> body)  4 bal (non-visitor
#   accounts)  5 credits (key -> seq awaiting a visitor's credit)  6 stseq  7 st (seq -> body)
#   8 sttime (zset stored -> seq)  9 stid (statement id -> seq)  10 stlast; then per-item keys.

_POST_FUNCTION = """
local function post(i)
local results = {}
while i <= #ARGV do
  local kind = ARGV[i]
  if kind == 'M' then
    local key, src, dst, amount, body = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4],
      ARGV[i + 5]
    local debit_here, check, credit_here, pending = ARGV[i + 6] == '1', ARGV[i + 7] == '1',
      ARGV[i + 8] == '1', ARGV[i + 9] == '1'
    local ix_src, ix_dst = KEYS[tonumber(ARGV[i + 10])], KEYS[tonumber(ARGV[i + 11])]
    i = i + 12
    local seq = redis.call('HGET', KEYS[2], key)
    if seq then
      results[#results + 1] = {'old', seq, redis.call('HGET', KEYS[3], seq),
        redis.call('HEXISTS', KEYS[5], key)}
    elseif debit_here and check and
        tonumber(redis.call('HGET', KEYS[4], src) or '0') < tonumber(amount) then
      results[#results + 1] = {'short', '0', '', 0}
    else
      seq = redis.call('INCR', KEYS[1])
      redis.call('HSET', KEYS[2], key, seq)
      redis.call('HSET', KEYS[3], seq, body)
      redis.call('ZADD', ix_src, seq, seq)
      redis.call('ZADD', ix_dst, seq, seq)
      if debit_here then
        redis.call('HINCRBY', KEYS[4], src, '-' .. amount)
      end
      if credit_here then
        redis.call('HINCRBY', KEYS[4], dst, amount)
      end
      local waiting = 0
      if pending then
        redis.call('HSET', KEYS[5], key, seq)
        waiting = 1
      end
      results[#results + 1] = {'new', tostring(seq), body, waiting}
    end
  elseif kind == 'S' then
    local id, body, now = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    i = i + 4
    local seq = redis.call('HGET', KEYS[9], id)
    if not seq then
      local last = redis.call('GET', KEYS[10])
      local stored = now
      if last and tonumber(last) > tonumber(now) then
        stored = last
      end
      seq = redis.call('INCR', KEYS[6])
      redis.call('HSET', KEYS[7], seq, body)
      redis.call('ZADD', KEYS[8], stored, seq)
      redis.call('SET', KEYS[10], stored)
      redis.call('HSET', KEYS[9], id, seq)
    end
    results[#results + 1] = {'stmt', tostring(seq), '', 0}
  elseif kind == 'B' then
    local visitor, member, ver = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local board, members, versions = KEYS[tonumber(ARGV[i + 4])], KEYS[tonumber(ARGV[i + 5])],
      KEYS[tonumber(ARGV[i + 6])]
    i = i + 7
    local applied = 0
    if tonumber(ver) > tonumber(redis.call('HGET', versions, visitor) or '-1') then
      local old = redis.call('HGET', members, visitor)
      if old then
        redis.call('ZREM', board, old)
      end
      redis.call('ZADD', board, 0, member)
      redis.call('HSET', members, visitor, member)
      redis.call('HSET', versions, visitor, ver)
      applied = 1
    end
    results[#results + 1] = {'board', '0', '', applied}
  else
    return redis.error_reply('unknown item kind ' .. tostring(kind))
  end
end
return results
end
"""

POST = _POST_FUNCTION + "return post(1)\n"
"""The sequencer step, replayable: each movement (``M``) is recorded once per key with the
next ledger seq and its non-visitor sides applied; each statement (``S``) once per id under a
time that never goes backwards; each leaderboard row (``B``) only if newer than the one held.
A movement reports ``new``/``old`` with its seq and stored body, or ``short`` (a non-issuing
account in this slot cannot pay)."""

ENTRIES = """
local out = {}
local seqs
if #KEYS == 2 then
  seqs = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'LIMIT', 0, ARGV[2])
else
  seqs = {}
  local first = tonumber(ARGV[1]) + 1
  for s = first, first + tonumber(ARGV[2]) - 1 do
    seqs[#seqs + 1] = s
  end
end
if #seqs == 0 then
  return out
end
local bodies = redis.call('HMGET', KEYS[1], unpack(seqs))
for n = 1, #seqs do
  if not bodies[n] then
    break
  end
  out[#out + 1] = tostring(seqs[n])
  out[#out + 1] = bodies[n]
end
return out
"""
"""Ledger entries after a seq, oldest first: KEYS entries [, account index]; ARGV after, limit.
Seqs are dense (each is taken by the entry written with it), so the whole ledger pages by
range and an account's entries page through its index."""

STATEMENTS = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local before = redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. ARGV[1])
local first = math.max(tonumber(ARGV[2]) + 1, before + 1)
local last = math.min(n, first + tonumber(ARGV[3]) - 1)
if first > last then
  return {0, {}}
end
local seqs = {}
for s = first, last do
  seqs[#seqs + 1] = s
end
local more = 0
if n > last then
  more = 1
end
return {more, redis.call('HMGET', KEYS[2], unpack(seqs)), last}
"""
"""A page of statements filed at or after ``since``: KEYS stseq, st, sttime; ARGV since,
after, limit. Filing times never go backwards in seq order, so the ones before ``since`` are
exactly the first ``ZCOUNT`` seqs."""

# -- the street (booths, shops, owners, coupons), also in the sequencer slot -------------------
# KEYS 1-10 as for POST, 11 the street's revision; then the keys the operations name.

STREET_READ = """
local out = {redis.call('GET', KEYS[1]) or '0'}
for i = 1, #ARGV, 3 do
  local cmd, key, name = ARGV[i], KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2]
  if cmd == 'HGET' then
    out[#out + 1] = redis.call('HGET', key, name)
  elseif cmd == 'HGETALL' then
    out[#out + 1] = redis.call('HGETALL', key)
  else
    out[#out + 1] = redis.call('GET', key)
  end
end
return out
"""
"""Read at one instant the street's revision (KEYS[1]) and (command, key index, field) triples
(``HGET``, ``HGETALL``, ``GET``)."""

STREET_COMMIT = (
    _POST_FUNCTION
    + """
local rev = redis.call('GET', KEYS[11]) or '0'
if ARGV[1] ~= '' and ARGV[1] ~= rev then
  return {0, {}}
end
local i = 3
for _ = 1, tonumber(ARGV[2]) do
  local cmd, key, a, b = ARGV[i], KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  if cmd == 'HSET' then
    redis.call('HSET', key, a, b)
  elseif cmd == 'HDEL' then
    redis.call('HDEL', key, a)
  elseif cmd == 'HINCRBY' then
    redis.call('HINCRBY', key, a, b)
  elseif cmd == 'DEL' then
    redis.call('DEL', key)
  elseif cmd == 'SET' then
    redis.call('SET', key, a)
  elseif cmd == 'SETEX' then
    redis.call('SET', key, b, 'EX', a)
  elseif cmd == 'NOTE' then
    redis.call('HSET', key, redis.call('INCR', KEYS[tonumber(a)]), b)
  else
    return redis.error_reply('unknown street operation ' .. tostring(cmd))
  end
end
if ARGV[1] ~= '' then
  redis.call('INCR', KEYS[11])
end
return {1, post(i)}
"""
)
"""Compare-and-set on the street's revision (``ARGV[1]``, ``''`` for an append-only note that
needs no check), then (command, key index, a, b) operations, then movements as for POST."""
