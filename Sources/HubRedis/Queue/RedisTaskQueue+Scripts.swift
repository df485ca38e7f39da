import RedisClient

/// The Lua scripts behind `RedisTaskQueue`: every change of a task's state is one script, so it is atomic
/// across processes. Every script takes `ARGV[1]` = the queue key prefix (`{bh:queue}:`) and `ARGV[2]` = the
/// task key prefix (`{bh:queue}:task:`) and derives its keys from them; `KEYS[1]` (`{bh:queue}:depth`) only
/// routes the call on a Redis Cluster, where the shared hash tag keeps every key in that one slot.
///
/// Keys (prefix `q` = `{keyspace:queue}:`):
/// - `q{class}`: the class's stream (consumer group `hub`); an entry holds the task id.
/// - `q{class}:returned`: released/recovered tasks waiting to be leased again, ordered by their original
///   stream id (members `{padded id} {task id}`); their entries stay pending, parked on consumer `~queued`.
/// - `qdepth` (hash class → queued count), `qcredits` (hash class → share credit), `qleases` (zset task id
///   by lease deadline), `qfinished` (zset task id by finish time), `qsweep` (hash class → XAUTOCLAIM cursor).
/// - `qtask:{id}`: hash `id payload class state entry attempts updated_at [owner lease_expires_at]
///   [outcome finished_at] [idem]`; `qtask-key:{key}` → task id (SET NX).
///
/// Times are seconds since 1970 from the hub's injected clock, stored verbatim as sent.
enum RedisQueueScripts {
    static let prelude = """
        local Q, T = ARGV[1], ARGV[2]
        local G, PARK = 'hub', '~queued'
        local function ensure(stream)
          if redis.call('EXISTS', stream) == 0 then redis.call('XGROUP', 'CREATE', stream, G, '0', 'MKSTREAM') end
        end
        local function pad(s) return string.rep('0', 20 - #s) .. s end
        local function member(eid, id)
          local ms, seq = string.match(eid, '^(%d+)-(%d+)$')
          return pad(ms) .. '-' .. pad(seq) .. ' ' .. id
        end
        local function unmember(m)
          local ms, seq, id = string.match(m, '^(%d+)-(%d+) (.*)$')
          return (string.gsub(ms, '^0+(%d)', '%1')) .. '-' .. (string.gsub(seq, '^0+(%d)', '%1')), id
        end
        local function finish(tk, id, state, now, ttl)
          redis.call('HSET', tk, 'state', state, 'finished_at', now, 'updated_at', now)
          redis.call('HDEL', tk, 'owner', 'lease_expires_at')
          redis.call('ZADD', Q .. 'finished', now, id)
          local seconds = tonumber(ttl)
          if seconds > 0 then
            redis.call('EXPIRE', tk, seconds)
            local idem = redis.call('HGET', tk, 'idem')
            if idem and redis.call('GET', idem) == id then redis.call('EXPIRE', idem, seconds) end
          end
        end
        -- Back in the queue at its original place; its pending entry is parked on PARK.
        local function requeue(tk, id, now)
          local class, eid = redis.call('HGET', tk, 'class'), redis.call('HGET', tk, 'entry')
          redis.call('HSET', tk, 'state', 'queued', 'updated_at', now)
          redis.call('HDEL', tk, 'owner', 'lease_expires_at')
          redis.call('ZREM', Q .. 'leases', id)
          redis.call('ZADD', Q .. class .. ':returned', 0, member(eid, id))
          redis.call('XCLAIM', Q .. class, G, PARK, 0, eid, 'JUSTID')
          redis.call('HINCRBY', Q .. 'depth', class, 1)
        end

        """

    /// ARGV: Q T id payload class now idemKey('' = none). Returns {created(0/1), HGETALL of the record}.
    static let enqueue = RedisScript(prelude + """
        local id, payload, class, now, idem = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
        if idem ~= '' then
          local existing = redis.call('GET', idem)
          if existing then
            local record = redis.call('HGETALL', T .. existing)
            if #record > 0 then return {0, record} end
          end
        end
        local tk = T .. id
        local record = redis.call('HGETALL', tk)
        if #record > 0 then return {0, record} end
        local stream = Q .. class
        ensure(stream)
        local eid = redis.call('XADD', stream, '*', 'id', id)
        redis.call('HSET', tk, 'id', id, 'payload', payload, 'class', class, 'state', 'queued', 'entry', eid,
          'attempts', 0, 'updated_at', now)
        if idem ~= '' then
          redis.call('SET', idem, id)
          redis.call('HSET', tk, 'idem', idem)
        end
        redis.call('HINCRBY', Q .. 'depth', class, 1)
        return {1, redis.call('HGETALL', tk)}
        """)

    /// ARGV: Q T owner now expires class1..class4 share1..share4 (classes highest first, share '0' = none).
    /// Chooses the class like `ShareScheduler.choose` (credits in `qcredits`), then leases the oldest task of
    /// that class: a returned one first (its entry is older than any undelivered one), else the next entry
    /// via XREADGROUP. Returns the task payload, nil when nothing is queued, or 'retry' after repairing a
    /// depth counter that claimed work the class did not have.
    static let lease = RedisScript(prelude + """
        local owner, now, expires = ARGV[3], ARGV[4], ARGV[5]
        local n = 4
        local depthKey, creditsKey = Q .. 'depth', Q .. 'credits'
        local pending, highest = {}, nil
        for i = 1, n do
          if tonumber(redis.call('HGET', depthKey, ARGV[5 + i]) or '0') > 0 then
            pending[i] = true
            if not highest then highest = i end
          end
        end
        if not highest then return false end
        local credits = {}
        for i = 1, n do
          local share = tonumber(ARGV[5 + n + i])
          if share > 0 then
            local earned = tonumber(redis.call('HGET', creditsKey, ARGV[5 + i]) or '0') + share
            if not pending[i] then earned = math.min(earned, 1) end
            credits[i] = earned
          end
        end
        local starving = nil
        for i = 1, n do
          if credits[i] and pending[i] and i ~= highest and credits[i] >= 1 - 1e-9 then starving = i end
        end
        local chosen = starving or highest
        if credits[chosen] then credits[chosen] = math.max(0, credits[chosen] - 1) end
        for i, credit in pairs(credits) do
          redis.call('HSET', creditsKey, ARGV[5 + i], string.format('%.17g', credit))
        end

        local class = ARGV[5 + chosen]
        local stream, returned = Q .. class, Q .. class .. ':returned'
        ensure(stream)
        while true do
          local eid, id
          local head = redis.call('ZRANGE', returned, 0, 0)
          if #head > 0 then
            redis.call('ZREM', returned, head[1])
            eid, id = unmember(head[1])
            redis.call('XCLAIM', stream, G, owner, 0, eid, 'JUSTID')
          else
            local read = redis.call('XREADGROUP', 'GROUP', G, owner, 'COUNT', 1, 'STREAMS', stream, '>')
            if not read then
              redis.call('HSET', depthKey, class, 0)
              return 'retry'
            end
            local entry = read[1][2][1]
            eid, id = entry[1], entry[2][2]
          end
          local tk = T .. id
          if redis.call('HGET', tk, 'state') == 'queued' and redis.call('HGET', tk, 'entry') == eid then
            redis.call('HSET', tk, 'state', 'leased', 'owner', owner, 'lease_expires_at', expires, 'updated_at', now)
            redis.call('HINCRBY', tk, 'attempts', 1)
            redis.call('ZADD', Q .. 'leases', expires, id)
            redis.call('HINCRBY', depthKey, class, -1)
            return redis.call('HGET', tk, 'payload')
          end
          -- A stale entry (its task finished, was cancelled or forgotten): acknowledge and go on.
          redis.call('XACK', stream, G, eid)
        end
        """)

    /// ARGV: Q T id owner now expires. Returns 1 when renewed, 0 when the lease was lost.
    static let renew = RedisScript(prelude + """
        local id, owner, now, expires = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local tk = T .. id
        if redis.call('HGET', tk, 'state') ~= 'leased' or redis.call('HGET', tk, 'owner') ~= owner then return 0 end
        redis.call('HSET', tk, 'lease_expires_at', expires, 'updated_at', now)
        redis.call('ZADD', Q .. 'leases', expires, id)
        -- Resets the entry's idle time, so the stalled-entry sweep sees a live lease.
        redis.call('XCLAIM', Q .. redis.call('HGET', tk, 'class'), G, owner, 0, redis.call('HGET', tk, 'entry'), 'JUSTID')
        return 1
        """)

    /// ARGV: Q T id owner now state outcome ttlSeconds. Returns 1 when recorded, 0 when the lease was lost.
    static let complete = RedisScript(prelude + """
        local id, owner, now, state, outcome, ttl = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
        local tk = T .. id
        if redis.call('HGET', tk, 'state') ~= 'leased' or redis.call('HGET', tk, 'owner') ~= owner then return 0 end
        redis.call('HSET', tk, 'outcome', outcome)
        redis.call('ZREM', Q .. 'leases', id)
        redis.call('XACK', Q .. redis.call('HGET', tk, 'class'), G, redis.call('HGET', tk, 'entry'))
        finish(tk, id, state, now, ttl)
        return 1
        """)

    /// ARGV: Q T id owner now. Returns 1 when released, 0 when `owner` did not hold the lease.
    static let release = RedisScript(prelude + """
        local id, owner, now = ARGV[3], ARGV[4], ARGV[5]
        local tk = T .. id
        if redis.call('HGET', tk, 'state') ~= 'leased' or redis.call('HGET', tk, 'owner') ~= owner then return 0 end
        requeue(tk, id, now)
        return 1
        """)

    /// ARGV: Q T id now ttlSeconds. Returns the record after the change (HGETALL), nil for an unknown id.
    static let cancel = RedisScript(prelude + """
        local id, now, ttl = ARGV[3], ARGV[4], ARGV[5]
        local tk = T .. id
        local state = redis.call('HGET', tk, 'state')
        if not state then return false end
        if state ~= 'queued' and state ~= 'leased' then return redis.call('HGETALL', tk) end
        local class, eid = redis.call('HGET', tk, 'class'), redis.call('HGET', tk, 'entry')
        if state == 'queued' then
          redis.call('ZREM', Q .. class .. ':returned', member(eid, id))
          redis.call('HINCRBY', Q .. 'depth', class, -1)
        else
          redis.call('ZREM', Q .. 'leases', id)
        end
        redis.call('XACK', Q .. class, G, eid)
        redis.call('XDEL', Q .. class, eid)
        finish(tk, id, 'cancelled', now, ttl)
        return redis.call('HGETALL', tk)
        """)

    /// ARGV: Q T id. Returns HGETALL of the record (empty when unknown).
    static let recordByKey = RedisScript(prelude + """
        local id = redis.call('GET', ARGV[3])
        if not id then return {} end
        return redis.call('HGETALL', T .. id)
        """)

    /// ARGV: Q T now limit. Re-queues up to `limit` tasks whose lease deadline (by the hub clock) is before
    /// `now`. Returns {recovered, examined}.
    static let recover = RedisScript(prelude + """
        local now, limit = ARGV[3], ARGV[4]
        local ids = redis.call('ZRANGEBYSCORE', Q .. 'leases', '-inf', '(' .. now, 'LIMIT', 0, limit)
        local recovered = 0
        for _, id in ipairs(ids) do
          local tk = T .. id
          local expires = redis.call('HGET', tk, 'lease_expires_at')
          if redis.call('HGET', tk, 'state') == 'leased' and expires then
            if tonumber(expires) < tonumber(now) then
              requeue(tk, id, now)
              recovered = recovered + 1
            else
              redis.call('ZADD', Q .. 'leases', expires, id)
            end
          else
            redis.call('ZREM', Q .. 'leases', id)
          end
        end
        return {recovered, #ids}
        """)

    /// ARGV: Q T now minIdleMs count class. The stalled-entry sweep: XAUTOCLAIMs entries of the class idle
    /// (server time) at least `minIdleMs`, one batch from the saved cursor, and settles each by its task:
    /// a live lease goes back to its owner (XCLAIM), an expired one is re-queued, a queued one stays parked
    /// (and is made leasable), a finished or unknown one is acknowledged. Returns {recovered, swept}.
    static let sweep = RedisScript(prelude + """
        local now, minIdle, count, class = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local stream = Q .. class
        if redis.call('EXISTS', stream) == 0 then return {0, 0} end
        local cursor = redis.call('HGET', Q .. 'sweep', class) or '0-0'
        local claimed = redis.call('XAUTOCLAIM', stream, G, PARK, minIdle, cursor, 'COUNT', count, 'JUSTID')
        redis.call('HSET', Q .. 'sweep', class, claimed[1])
        local recovered = 0
        for _, eid in ipairs(claimed[2]) do
          local entry = redis.call('XRANGE', stream, eid, eid)
          local id = entry[1] and entry[1][2][2]
          local tk = id and (T .. id)
          local state = tk and redis.call('HGET', tk, 'state')
          if state and redis.call('HGET', tk, 'entry') ~= eid then state = nil end
          if state == 'leased' then
            local expires = redis.call('HGET', tk, 'lease_expires_at')
            if expires and tonumber(expires) < tonumber(now) then
              requeue(tk, id, now)
              recovered = recovered + 1
            else
              redis.call('XCLAIM', stream, G, redis.call('HGET', tk, 'owner'), 0, eid, 'JUSTID')
            end
          elseif state == 'queued' then
            redis.call('ZADD', Q .. class .. ':returned', 0, member(eid, id))
          else
            redis.call('XACK', stream, G, eid)
          end
        end
        return {recovered, #claimed[2]}
        """)

    /// ARGV: Q T before limit. Forgets up to `limit` finished tasks that finished before `before`.
    /// Returns {forgotten, examined}.
    static let purge = RedisScript(prelude + """
        local before, limit = ARGV[3], ARGV[4]
        local ids = redis.call('ZRANGEBYSCORE', Q .. 'finished', '-inf', '(' .. before, 'LIMIT', 0, limit)
        local forgotten = 0
        for _, id in ipairs(ids) do
          redis.call('ZREM', Q .. 'finished', id)
          local tk = T .. id
          local state = redis.call('HGET', tk, 'state')
          if state == 'succeeded' or state == 'failed' or state == 'cancelled' then
            local idem = redis.call('HGET', tk, 'idem')
            if idem and redis.call('GET', idem) == id then redis.call('DEL', idem) end
            redis.call('DEL', tk)
            forgotten = forgotten + 1
          end
        end
        return {forgotten, #ids}
        """)

    /// ARGV: Q T class. Trims the class's stream below the oldest entry still unacknowledged (the smallest
    /// pending id) or, with none pending, below the group's last-delivered id, so queued (undelivered),
    /// leased and parked entries are never dropped. Also deletes consumers with nothing pending (a worker
    /// that comes back is re-created by its next read). Returns {trimmed, minid}.
    static let trim = RedisScript(prelude + """
        local stream = Q .. ARGV[3]
        if redis.call('EXISTS', stream) == 0 then return {0, ''} end
        local last = nil
        for _, group in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
          local fields = {}
          for i = 1, #group, 2 do fields[group[i]] = group[i + 1] end
          if fields['name'] == G then last = fields['last-delivered-id'] end
        end
        if not last then return {0, ''} end
        local summary = redis.call('XPENDING', stream, G)
        local minid = last
        if summary[1] > 0 then minid = summary[2] end
        local trimmed = redis.call('XTRIM', stream, 'MINID', minid)
        for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', stream, G)) do
          local fields = {}
          for i = 1, #consumer, 2 do fields[consumer[i]] = consumer[i + 1] end
          if fields['pending'] == 0 then redis.call('XGROUP', 'DELCONSUMER', stream, G, fields['name']) end
        end
        return {trimmed, minid}
        """)
}
