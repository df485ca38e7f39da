import BrokerCore
import Foundation
import HubEngine
import RedisClient
import RedisWire

extension RedisTaskQueue {
    /// Scripts handle this many tasks or entries per call; the Swift side loops while a batch comes back full.
    static let batch = 100

    /// Re-queues tasks whose lease deadline (by this hub's clock) has passed, then runs one batch of the
    /// stalled-entry sweep per class (`XAUTOCLAIM` of entries idle ≥ `stalledEntryIdle`), which recovers
    /// expired leases the deadline index missed and acknowledges entries whose task is gone. Returns how
    /// many tasks went back to the queue.
    public func recoverExpiredLeases() async throws -> Int {
        var recovered = 0
        while true {
            let reply = try await run(RedisQueueScripts.recover, "recover", [time(clock.now), .string(String(Self.batch))])
            let (count, examined) = try pair("recover", reply)
            recovered += count
            if examined < Self.batch { break }
        }
        let idle = String(max(0, Int((stalledEntryIdle.timeInterval * 1000).rounded())))
        for priority in Priority.allCases {
            let reply = try await run(
                RedisQueueScripts.sweep, "sweep",
                [time(clock.now), .string(idle), .string(String(Self.batch)), .string(priority.name)]
            )
            recovered += try pair("sweep", reply).0
        }
        return recovered
    }

    /// Forgets finished tasks that finished before `instant` (and their idempotency keys), then trims the
    /// streams (`trim()`).
    public func purge(finishedBefore instant: Date) async throws -> Int {
        var forgotten = 0
        while true {
            let reply = try await run(RedisQueueScripts.purge, "purge", [time(instant), .string(String(Self.batch))])
            let (count, examined) = try pair("purge", reply)
            forgotten += count
            if examined < Self.batch { break }
        }
        _ = try await trim()
        return forgotten
    }

    /// Trims every class's stream with `XTRIM MINID` below its oldest unacknowledged entry (never dropping
    /// queued, leased or released work) and deletes consumers with nothing pending. Returns the entries
    /// removed. `purge(finishedBefore:)` calls it; call it directly to trim more often.
    @discardableResult
    public func trim() async throws -> Int {
        var trimmed = 0
        for priority in Priority.allCases {
            let reply = try await run(RedisQueueScripts.trim, "trim", [.string(priority.name)])
            guard let parts = reply.array, let count = parts.first?.int else { throw malformed("trim", reply) }
            trimmed += Int(count)
        }
        return trimmed
    }

    private func pair(_ operation: String, _ reply: RESPValue) throws -> (Int, Int) {
        guard let parts = reply.array, parts.count == 2, let first = parts[0].int, let second = parts[1].int else {
            throw malformed(operation, reply)
        }
        return (Int(first), Int(second))
    }
}
