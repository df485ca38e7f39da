import RedisClient

/// The limiter's Lua scripts. One ZSET per budget holds its grants and reservations (member: acquisition id,
/// score: instant in microseconds of the server clock). Every instant comes from `TIME` on the server, so
/// processes on machines with different clocks share one timeline.
///
/// Instants are whole microseconds (exact in Lua's doubles); they are formatted with `%.0f` where they become
/// text, as Lua's own number-to-string keeps only 14 digits.
///
/// Per-budget arguments (three each, in `KEYS` order): limit, span (window + jitter allowance, µs) and gap
/// (`smoothing × window / limit`, µs).
enum RedisRateLimiterScripts {
    private static let prelude = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local function budget(i)
          local base = 3 * (i - 1) + ARGV_BASE
          return tonumber(ARGV[base]), tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
        end
        -- Idle budgets disappear: keep a key two spans past its latest entry.
        local function touch(key, span)
          local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
          local latest = now
          if last[2] then latest = math.max(now, tonumber(last[2])) end
          redis.call('PEXPIRE', key, math.ceil((latest - now + 2 * span) / 1000) + 1000)
        end

        """

    /// KEYS: budgets; ARGV[1] acquisition id, ARGV[2] microseconds left until the caller's deadline (-1: none),
    /// then the budgets. Prunes old entries, finds the earliest instant one more send fits every budget — no
    /// earlier than the budget's latest entry plus its gap, and a span after the entry `limit` places back —
    /// and records it in every budget. Returns `{1, delay µs}`, or `{0, delay µs}` without recording anything
    /// when that instant comes after the deadline.
    static let reserve = RedisScript(
        prelude.replacingOccurrences(of: "ARGV_BASE", with: "3") + """
            local slot = now
            for i = 1, #KEYS do
              local limit, span, gap = budget(i)
              redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', string.format('(%.0f', now - 2 * span))
              local last = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
              if last[2] then slot = math.max(slot, tonumber(last[2]) + gap) end
              if redis.call('ZCARD', KEYS[i]) >= limit then
                local bound = redis.call('ZRANGE', KEYS[i], -limit, -limit, 'WITHSCORES')
                slot = math.max(slot, tonumber(bound[2]) + span)
              end
            end
            local remaining = tonumber(ARGV[2])
            if remaining >= 0 and slot - now > remaining then return {0, slot - now} end
            for i = 1, #KEYS do
              local limit, span, gap = budget(i)
              redis.call('ZADD', KEYS[i], slot, ARGV[1])
              touch(KEYS[i], span)
            end
            return {1, slot - now}
            """
    )

    /// KEYS: budgets; ARGV[1] acquisition id, ARGV[2] the caller's lead (µs, at most 5 ms: how long its
    /// commit takes to reach the server), then the budgets. Called when the caller wakes for its reservation:
    /// more than the lead before the reserved instant (by the server's clock) returns `{2, µs still to wait}`.
    /// Otherwise the send goes out now: it is recorded at the later of now and the reserved instant — a
    /// caller that wakes a little early keeps its place, so one caller's lateness never delays the next —
    /// if every window that ends there, judged against the sends at or before it, keeps within its limit
    /// (`{1, µs late}`, negative when early: the caller tunes its lead with it); else the reservation is dropped (`{0, 0}`: reserve again). Later reservations do not bind
    /// a late sender (they were placed against its original slot and are judged when they commit).
    static let commit = RedisScript(
        prelude.replacingOccurrences(of: "ARGV_BASE", with: "3") + """
            local lead = math.max(0, math.min(5000, tonumber(ARGV[2])))
            local at = now
            local reserved = now
            for i = 1, #KEYS do
              local slot = redis.call('ZSCORE', KEYS[i], ARGV[1])
              if slot then
                slot = tonumber(slot)
                if slot - lead > now then return {2, slot - now} end
                at = math.max(at, slot)
                reserved = slot
              end
            end
            for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
            for i = 1, #KEYS do
              local limit, span, gap = budget(i)
              -- The window that opens just after at - span holds the most sends; 1 µs of tolerance keeps a
              -- send placed exactly a span after another from being judged against rounding.
              if redis.call('ZCOUNT', KEYS[i], string.format('(%.0f', at - span + 1), string.format('%.0f', at)) + 1 > limit then return {0, 0} end
            end
            for i = 1, #KEYS do
              local limit, span, gap = budget(i)
              redis.call('ZADD', KEYS[i], at, ARGV[1])
              touch(KEYS[i], span)
            end
            return {1, now - reserved}
            """
    )

    /// KEYS: budgets; ARGV[1] acquisition id. Drops a reservation (the caller was cancelled).
    static let release = RedisScript(
        """
        local removed = 0
        for i = 1, #KEYS do removed = removed + redis.call('ZREM', KEYS[i], ARGV[1]) end
        return removed
        """
    )
}
