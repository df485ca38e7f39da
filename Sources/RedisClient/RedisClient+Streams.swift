import RedisWire

extension RedisClient {
    /// `XADD key [MAXLEN|MINID [~] n] id field value …`; returns the new entry's ID.
    /// `maxLength` and `minID` trim the stream (approximately, `~`, unless `approximateTrim` is false).
    @discardableResult
    public func xadd(
        _ key: String, id: String = "*", fields: [(String, [UInt8])],
        maxLength: Int? = nil, minID: String? = nil, approximateTrim: Bool = true
    ) async throws -> String {
        var command: [RESPArgument] = ["XADD", .string(key)]
        if let maxLength {
            command += ["MAXLEN", approximateTrim ? "~" : "=", .int(maxLength)]
        } else if let minID {
            command += ["MINID", approximateTrim ? "~" : "=", .string(minID)]
        }
        command.append(.string(id))
        for (field, value) in fields {
            command.append(.string(field))
            command.append(.bytes(value))
        }
        let reply = try await send(command)
        guard let entryID = reply.string else { throw Self.unexpected("XADD", reply) }
        return entryID
    }

    /// `XGROUP CREATE key group id [MKSTREAM]`; returns `false` when the group already existed (BUSYGROUP).
    @discardableResult
    public func xgroupCreate(_ key: String, group: String, id: String = "$", mkstream: Bool = true) async throws -> Bool {
        var command: [RESPArgument] = ["XGROUP", "CREATE", .string(key), .string(group), .string(id)]
        if mkstream { command.append("MKSTREAM") }
        do {
            _ = try await send(command)
            return true
        } catch let error as RedisError where error.serverErrorPrefix == "BUSYGROUP" {
            return false
        }
    }

    /// `XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS k… id…`. With `block` it runs on a dedicated
    /// connection and returns `[]` when the block time passes without entries.
    public func xreadgroup(
        group: String, consumer: String, streams: [(key: String, id: String)],
        count: Int? = nil, block: Duration? = nil, noAck: Bool = false
    ) async throws -> [RedisStreamEntry] {
        var command: [RESPArgument] = ["XREADGROUP", "GROUP", .string(group), .string(consumer)]
        if let count { command += ["COUNT", .int(count)] }
        if let block { command += ["BLOCK", .int(Self.milliseconds(block))] }
        if noAck { command.append("NOACK") }
        command.append("STREAMS")
        for stream in streams { command.append(.string(stream.key)) }
        for stream in streams { command.append(.string(stream.id)) }
        let reply = try await send(command)
        return try Self.parseReadReply(reply)
    }

    /// `XACK key group id…`; returns how many were acknowledged.
    @discardableResult
    public func xack(_ key: String, group: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let reply = try await send(["XACK", .string(key), .string(group)] + ids.map { .string($0) })
        guard let count = reply.int else { throw Self.unexpected("XACK", reply) }
        return Int(count)
    }

    /// `XAUTOCLAIM key group consumer min-idle start [COUNT n]`: claims entries idle for at least `minIdle`.
    /// Returns the cursor for the next call (`0-0` when done), the claimed entries and IDs that no longer exist.
    public func xautoclaim(
        _ key: String, group: String, consumer: String, minIdle: Duration, start: String = "0-0", count: Int? = nil
    ) async throws -> (next: String, entries: [RedisStreamEntry], deleted: [String]) {
        var command: [RESPArgument] = [
            "XAUTOCLAIM", .string(key), .string(group), .string(consumer), .int(Self.milliseconds(minIdle)), .string(start),
        ]
        if let count { command += ["COUNT", .int(count)] }
        let reply = try await send(command)
        guard let parts = reply.array, parts.count >= 2, let next = parts[0].string, let list = parts[1].array else {
            throw Self.unexpected("XAUTOCLAIM", reply)
        }
        let entries = try list.compactMap { try Self.parseEntry($0, stream: key) }
        let deleted = parts.count >= 3 ? (parts[2].array ?? []).compactMap(\.string) : []
        return (next, entries, deleted)
    }

    /// `XPENDING key group` (summary form).
    public func xpendingSummary(_ key: String, group: String) async throws -> RedisPendingSummary {
        let reply = try await send("XPENDING", .string(key), .string(group))
        guard let parts = reply.array, parts.count >= 4, let count = parts[0].int else {
            throw Self.unexpected("XPENDING", reply)
        }
        var consumers: [String: Int] = [:]
        for consumer in parts[3].array ?? [] {
            guard let pair = consumer.array, pair.count == 2, let name = pair[0].string, let n = pair[1].int else { continue }
            consumers[name] = Int(n)
        }
        return RedisPendingSummary(count: Int(count), smallestID: parts[1].string, largestID: parts[2].string, consumers: consumers)
    }

    /// `XTRIM key MINID [~|=] id`; returns the number of entries removed.
    @discardableResult
    public func xtrim(_ key: String, minID: String, approximate: Bool = false) async throws -> Int {
        let reply = try await send("XTRIM", .string(key), "MINID", approximate ? "~" : "=", .string(minID))
        guard let removed = reply.int else { throw Self.unexpected("XTRIM", reply) }
        return Int(removed)
    }

    /// `XTRIM key MAXLEN [~|=] n`; returns the number of entries removed.
    @discardableResult
    public func xtrim(_ key: String, maxLength: Int, approximate: Bool = false) async throws -> Int {
        let reply = try await send("XTRIM", .string(key), "MAXLEN", approximate ? "~" : "=", .int(maxLength))
        guard let removed = reply.int else { throw Self.unexpected("XTRIM", reply) }
        return Int(removed)
    }

    /// `XDEL key id…`; returns the number of entries deleted.
    @discardableResult
    public func xdel(_ key: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let reply = try await send(["XDEL", .string(key)] + ids.map { .string($0) })
        guard let removed = reply.int else { throw Self.unexpected("XDEL", reply) }
        return Int(removed)
    }

    /// `XLEN key`.
    public func xlen(_ key: String) async throws -> Int {
        let reply = try await send("XLEN", .string(key))
        guard let length = reply.int else { throw Self.unexpected("XLEN", reply) }
        return Int(length)
    }

    /// `XRANGE key start end [COUNT n]`.
    public func xrange(_ key: String, start: String = "-", end: String = "+", count: Int? = nil) async throws -> [RedisStreamEntry] {
        var command: [RESPArgument] = ["XRANGE", .string(key), .string(start), .string(end)]
        if let count { command += ["COUNT", .int(count)] }
        let reply = try await send(command)
        guard let list = reply.array else { throw Self.unexpected("XRANGE", reply) }
        return try list.compactMap { try Self.parseEntry($0, stream: key) }
    }

    // MARK: - Reply parsing

    /// Parses an `XREAD`/`XREADGROUP` reply (RESP2 array of [key, entries] or RESP3 map); null → `[]`.
    static func parseReadReply(_ reply: RESPValue) throws -> [RedisStreamEntry] {
        if reply.isNull { return [] }
        var streams: [(RESPValue, RESPValue)] = []
        if case .map(let pairs) = reply {
            streams = pairs.map { ($0.key, $0.value) }
        } else if let list = reply.array {
            for item in list {
                guard let pair = item.array, pair.count == 2 else { throw unexpected("XREADGROUP", reply) }
                streams.append((pair[0], pair[1]))
            }
        } else {
            throw unexpected("XREADGROUP", reply)
        }
        var entries: [RedisStreamEntry] = []
        for (keyValue, list) in streams {
            guard let key = keyValue.string else { throw unexpected("XREADGROUP", reply) }
            for item in list.array ?? [] {
                if let entry = try parseEntry(item, stream: key) { entries.append(entry) }
            }
        }
        return entries
    }

    /// Parses `[id, [field, value, …]]`; fields may be null for entries deleted while pending.
    static func parseEntry(_ value: RESPValue, stream: String) throws -> RedisStreamEntry? {
        if value.isNull { return nil }
        guard let parts = value.array, parts.count == 2, let id = parts[0].string else {
            throw unexpected("stream entry", value)
        }
        var fields: [(String, [UInt8])] = []
        if let flat = parts[1].array {
            fields.reserveCapacity(flat.count / 2)
            var index = 0
            while index + 1 < flat.count {
                guard let name = flat[index].string, let bytes = flat[index + 1].bytes else {
                    throw unexpected("stream entry", value)
                }
                fields.append((name, bytes))
                index += 2
            }
        } else if case .map(let pairs) = parts[1] {
            for pair in pairs {
                guard let name = pair.key.string, let bytes = pair.value.bytes else { throw unexpected("stream entry", value) }
                fields.append((name, bytes))
            }
        }
        return RedisStreamEntry(stream: stream, id: id, fields: fields)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    static func unexpected(_ command: String, _ reply: RESPValue) -> RedisError {
        RedisError(.protocolViolation, "unexpected \(command) reply: \(String(describing: reply).prefix(200))")
    }
}
