import Foundation
import RedisClient
import RedisWire
import ServiceLifecycle

extension RedisEventBus {
    /// Trims every stream (`XTRIM MINID`) below the oldest entry some group still needs: each group's oldest
    /// pending entry, or the entry after its last delivered one, whichever is older; and never past the
    /// retention window. A stream without groups is left alone. Returns how many entries were removed.
    @discardableResult
    public func compact() async throws -> Int {
        let cutoff = StreamID(milliseconds: UInt64(max(0, (Date().timeIntervalSince1970 - configuration.retention.timeInterval) * 1_000)), sequence: 0)
        var removed = 0
        for channel in Self.channels {
            let stream = streamKey(channel)
            guard let floor = try await oldestNeeded(stream) else { continue }
            let minID = min(floor, cutoff)
            guard minID > StreamID(milliseconds: 0, sequence: 1) else { continue }
            removed += try await client.xtrim(stream, minID: minID.description)
        }
        if removed > 0 {
            metrics.compacted.increment(by: removed)
            logger.debug("redis bus compacted", metadata: ["bus.deleted": "\(removed)"])
        }
        return removed
    }

    /// The oldest entry any group of `stream` has not acknowledged yet; nil without groups (or stream).
    func oldestNeeded(_ stream: String) async throws -> StreamID? {
        let reply: RESPValue
        do {
            reply = try await client.send("XINFO", "GROUPS", .string(stream))
        } catch let error as RedisError where error.code == .server {
            return nil  // no such key
        }
        var floor: StreamID?
        for info in reply.array ?? [] {
            var fields: [String: RESPValue] = [:]
            for pair in info.pairs ?? [] { if let name = pair.key.string { fields[name] = pair.value } }
            guard let name = fields["name"]?.string, let last = fields["last-delivered-id"]?.string.flatMap(StreamID.init) else { continue }
            var needed = last.next
            if (fields["pending"]?.int ?? 0) > 0 {
                let summary = try await client.xpendingSummary(stream, group: name)
                if let smallest = summary.smallestID.flatMap(StreamID.init) { needed = min(needed, smallest) }
            }
            floor = floor.map { min($0, needed) } ?? needed
        }
        return floor
    }

    /// Compacts every `compactionInterval` until graceful shutdown or cancellation.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.configuration.compactionInterval)
                do {
                    try await self.compact()
                } catch {
                    self.logger.warning("redis bus compaction failed", metadata: ["bus.error": "\(error)"])
                }
            }
        }
    }
}

/// A Redis stream entry ID, `milliseconds-sequence`, ordered as Redis orders them.
struct StreamID: Comparable, CustomStringConvertible {
    var milliseconds: UInt64
    var sequence: UInt64

    init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let milliseconds = UInt64(parts[0]), let sequence = UInt64(parts[1]) else { return nil }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    /// The smallest ID after this one.
    var next: StreamID {
        sequence == .max ? StreamID(milliseconds: milliseconds + 1, sequence: 0) : StreamID(milliseconds: milliseconds, sequence: sequence + 1)
    }

    var description: String { "\(milliseconds)-\(sequence)" }

    static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}
