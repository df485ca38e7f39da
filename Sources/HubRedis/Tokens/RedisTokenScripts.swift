import RedisClient

/// The token store's Lua scripts. Times come from the server (`TIME`), never from a client clock.
enum RedisTokenScripts {
    /// KEYS[1] token; ARGV[1] value, ARGV[2] expires-at (ms since 1970). Sets the value with `PX` until
    /// expiry; an already expired token is not stored. Returns 1 when stored.
    static let save = RedisScript(
        """
        local t = redis.call('TIME')
        local ttl = tonumber(ARGV[2]) - (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
        if ttl <= 0 then
          redis.call('DEL', KEYS[1])
          return 0
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
        return 1
        """
    )

    /// KEYS[1] lock, KEYS[2] token; ARGV[1] lock value, ARGV[2] token value, ARGV[3] expires-at (ms).
    /// Saves like `save`, only while the lock still holds ARGV[1]. Returns 1 when the lock held.
    static let fencedSave = RedisScript(
        """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        local t = redis.call('TIME')
        local ttl = tonumber(ARGV[3]) - (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
        if ttl <= 0 then
          redis.call('DEL', KEYS[2])
        else
          redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
        end
        return 1
        """
    )

    /// KEYS[1] token; ARGV[1] ciphertext. Deletes the token only if it still holds that ciphertext.
    static let removeIfMatching = RedisScript(
        """
        local value = redis.call('GET', KEYS[1])
        if value and string.sub(value, 18) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """
    )

    /// KEYS[1] lock, KEYS[2] fencing counter; ARGV[1] nonce, ARGV[2] ttl (ms). When the lock is free, takes
    /// it with the value `<fencing>:<nonce>` (the counter only grows) and returns that value; nil otherwise.
    static let acquire = RedisScript(
        """
        if redis.call('EXISTS', KEYS[1]) == 1 then return false end
        local value = redis.call('INCR', KEYS[2]) .. ':' .. ARGV[1]
        redis.call('SET', KEYS[1], value, 'PX', tonumber(ARGV[2]))
        return value
        """
    )

    /// KEYS[1] lock; ARGV[1] value, ARGV[2] ttl (ms). Compare-and-pexpire: 1 when still held.
    static let extend = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
        return 0
        """
    )

    /// KEYS[1] lock; ARGV[1] value. Compare-and-delete: 1 when it was still held.
    static let release = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """
    )
}
