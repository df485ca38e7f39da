import BrokerCore
import Foundation
import RedisClient

extension RedisEventBus {
    public func read(group: String, consumer: String, maximum: Int, wait: Duration) async throws -> [BusDelivery] {
        guard maximum > 0 else { return [] }
        let slot = "\(group)\u{0}\(consumer)"
        do {
            return try await read(group: group, consumer: consumer, slot: slot, maximum: maximum, wait: wait)
        } catch {
            // A read that failed may have been served by Redis with its reply lost (the connection dropped, the server
            // restarted after logging the delivery): those entries are in this consumer's pending list, and a `>` read
            // never returns them. The next read takes this consumer's pending entries back first, as after a restart —
            // not only once they are `redeliverAfter` old (meanwhile an empty answer would look caught up).
            state.withLock { $0.history[slot] = nil }
            throw error
        }
    }

    private func read(group: String, consumer: String, slot: String, maximum: Int, wait: Duration) async throws -> [BusDelivery] {
        try await ensureGroups([group])
        let streams = Self.channels.map(streamKey)
        var entries = takeCarry(slot, maximum: maximum)

        // 1. This consumer name's deliveries from an earlier instance (a restarted process).
        let history = state.withLock { state -> [String: String] in
            if let history = state.history[slot] { return history }
            let fresh = Dictionary(uniqueKeysWithValues: streams.map { ($0, "0") })
            state.history[slot] = fresh
            return fresh
        }
        for (stream, cursor) in history.sorted(by: { $0.key < $1.key }) where entries.count < maximum {
            let wanted = maximum - entries.count
            let own = try await client.xreadgroup(group: group, consumer: consumer, streams: [(stream, cursor)], count: wanted)
            // Fewer than asked for: this stream's history is read back (later deliveries are this instance's).
            state.withLock { $0.history[slot]?[stream] = own.count < wanted ? nil : own.last?.id }
            entries += own
        }
        if entries.count >= maximum { return try await deliveries(entries, group: group, slot: slot, maximum: maximum) }

        // 2. Deliveries idle past the lease (a consumer died), looked for at most every quarter lease.
        if claimDue(group) {
            let claimed = try await concurrently(streams) { stream in
                try await self.client.xautoclaim(stream, group: group, consumer: consumer, minIdle: self.configuration.redeliverAfter, count: maximum).entries
            }
            metrics.redelivered.increment(by: claimed.count)
            entries += claimed
        }
        if entries.count >= maximum { return try await deliveries(entries, group: group, slot: slot, maximum: maximum) }

        // 3. New entries, without waiting.
        let remaining = maximum - entries.count
        entries += try await concurrently(streams) { stream in
            try await self.client.xreadgroup(group: group, consumer: consumer, streams: [(stream, ">")], count: remaining)
        }
        // 4. Nothing at all: wait for the first new entry on any stream.
        let block = Duration.milliseconds(wait.busMilliseconds)
        if entries.isEmpty, block > .zero, !Task.isCancelled {
            entries = try await client.xreadgroup(
                group: group, consumer: consumer, streams: streams.map { ($0, ">") }, count: maximum, block: block
            )
        }
        return try await deliveries(entries, group: group, slot: slot, maximum: maximum)
    }

    public func acknowledge(_ deliveries: [BusDelivery], group: String) async throws {
        var byStream: [String: [String]] = [:]
        // Grouped by the channel part first: one stream key per channel, not one per delivery.
        var byChannel: [Substring: [String]] = [:]
        for delivery in deliveries {
            let position = delivery.position
            guard let slash = position.firstIndex(of: "/") else {
                throw BrokerHubError(.invalidArgument, "redis bus: position '\(position)' is not a stream position")
            }
            byChannel[position[..<slash], default: []].append(String(position[position.index(after: slash)...]))
        }
        for (channel, ids) in byChannel {
            guard let channel = RealtimeChannel(rawValue: String(channel)) else {
                throw BrokerHubError(.invalidArgument, "redis bus: position channel '\(channel)' is not a channel")
            }
            byStream[streamKey(channel)] = ids
        }
        for (stream, ids) in byStream {
            let acknowledged = try await client.xack(stream, group: group, ids: ids)
            metrics.acknowledged.increment(by: acknowledged)
        }
    }

    /// Positions are `{channel}/{entry id}`.
    func position(stream: String, id: String) -> String {
        // Per delivery: the channel is what follows the key's last colon (no split, no array).
        guard let colon = stream.lastIndex(of: ":") else { return stream + "/" + id }
        return stream[stream.index(after: colon)...] + "/" + id
    }

    private func takeCarry(_ slot: String, maximum: Int) -> [RedisStreamEntry] {
        state.withLock { state in
            guard var carry = state.carry[slot], !carry.isEmpty else { return [] }
            let taken = Array(carry.prefix(maximum))
            carry.removeFirst(taken.count)
            state.carry[slot] = carry.isEmpty ? nil : carry
            return taken
        }
    }

    private func claimDue(_ group: String) -> Bool {
        let now = ContinuousClock.now
        let interval = configuration.redeliverAfter / 4
        return state.withLock { state in
            if let last = state.lastClaim[group], last.duration(to: now) < interval { return false }
            state.lastClaim[group] = now
            return true
        }
    }

    /// Decodes up to `maximum` entries; the rest wait in the consumer's carry-over (they are in its pending
    /// list already). An entry deleted while pending (no fields) is acknowledged and skipped.
    private func deliveries(_ entries: [RedisStreamEntry], group: String, slot: String, maximum: Int) async throws -> [BusDelivery] {
        // Ids are unique within a stream: deduplicate per stream without building a key string per entry.
        var seen: [String: Set<String>] = [:]
        let unique = entries.filter { seen[$0.stream, default: []].insert($0.id).inserted }
        let handed = unique.prefix(maximum)
        if unique.count > maximum {
            state.withLock { $0.carry[slot, default: []] += unique.dropFirst(maximum) }
        }
        var result: [BusDelivery] = []
        result.reserveCapacity(handed.count)
        var gone: [RedisStreamEntry] = []
        for entry in handed {
            guard let body = entry["e"] else {
                logger.warning("redis bus entry without payload (deleted while pending)", metadata: ["bus.stream": "\(entry.stream)", "bus.entry": "\(entry.id)"])
                gone.append(entry)
                continue
            }
            do {
                result.append(BusDelivery(position: position(stream: entry.stream, id: entry.id), event: try RealtimeEventCodec.decode(body)))
            } catch {
                throw BrokerHubError(.malformedPayload, "redis bus: entry \(entry.stream) \(entry.id) cannot be decoded", underlying: error)
            }
        }
        for entry in gone { try await client.xack(entry.stream, group: group, ids: [entry.id]) }
        metrics.delivered.increment(by: result.count)
        return result
    }

    /// Runs `body` for every stream at once; results in stream order.
    func concurrently<T: Sendable>(_ streams: [String], _ body: @escaping @Sendable (String) async throws -> [T]) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, [T]).self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask { (index, try await body(stream)) }
            }
            var results = [[T]](repeating: [], count: streams.count)
            for try await (index, items) in group { results[index] = items }
            return results.flatMap { $0 }
        }
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var busMilliseconds: Int64 { components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
}
