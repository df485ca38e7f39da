import BrokerCore
import Foundation
import GRDB

extension JournalEventBus {
    public func read(group: String, consumer: String, maximum: Int, wait: Duration) async throws -> [BusDelivery] {
        guard maximum > 0 else { return [] }
        let clock = configuration.clock
        let deadline = clock.now.addingTimeInterval(max(.zero, wait).timeInterval)
        while true {
            let seen = signal.generation
            let deliveries = try await readOnce(group: group, consumer: consumer, maximum: maximum)
            if !deliveries.isEmpty { return deliveries }
            let now = clock.now
            if now >= deadline || Task.isCancelled { return [] }
            await signal.wait(after: seen, timeout: min(configuration.pollInterval, .seconds(deadline.timeIntervalSince(now))))
        }
    }

    public func acknowledge(_ deliveries: [BusDelivery], group: String) async throws {
        guard !deliveries.isEmpty else { return }
        let sequences = try deliveries.map { delivery -> Int64 in
            guard let seq = Int64(delivery.position) else {
                throw BrokerHubError(.invalidArgument, "journal bus: position '\(delivery.position)' is not a journal sequence number")
            }
            return seq
        }
        // Runs of consecutive sequence numbers (the usual case: a whole read batch) go in one range delete.
        var runs: [ClosedRange<Int64>] = []
        for seq in Set(sequences).sorted() {
            if let last = runs.last, last.upperBound &+ 1 == seq {
                runs[runs.count - 1] = last.lowerBound...seq
            } else {
                runs.append(seq...seq)
            }
        }
        let ranges = runs
        let removed = try await database.writeWithoutTransaction { db -> Int in
            var removed = 0
            try db.inTransaction(.immediate) {
                let delete = try db.cachedStatement(sql: "DELETE FROM bus_pending WHERE group_name = ? AND seq BETWEEN ? AND ?")
                for run in ranges {
                    try delete.execute(arguments: [group, run.lowerBound, run.upperBound])
                    removed += db.changesCount
                }
                return .commit
            }
            return removed
        }
        metrics.acknowledged.increment(by: removed)
    }

    /// One delivery attempt in one immediate transaction: take over expired leases (and this consumer
    /// name's deliveries held by an instance that went away), then deliver new events after the group's
    /// position; record every delivery in `bus_pending` and advance the position.
    func readOnce(group: String, consumer: String, maximum: Int) async throws -> [BusDelivery] {
        let now = configuration.clock.now.timeIntervalSince1970
        let leaseEnd = now + configuration.redeliverAfter.timeInterval
        let instance = instance
        let (rows, redelivered) = try await database.writeWithoutTransaction { db -> ([(Int64, Data)], Int) in
            var rows: [(Int64, Data)] = []
            var redelivered = 0
            try db.inTransaction(.immediate) {
                try db.execute(sql: "INSERT OR IGNORE INTO bus_groups(name, last_delivered) VALUES (?, 0)", arguments: [group])
                let stale = try Row.fetchAll(db, sql: """
                    SELECT p.seq, e.body FROM bus_pending p JOIN bus_events e ON e.seq = p.seq
                    WHERE p.group_name = ? AND (p.lease_expires_at <= ? OR (p.consumer = ? AND p.instance <> ?))
                    ORDER BY p.seq LIMIT ?
                    """, arguments: [group, now, consumer, instance, maximum])
                if !stale.isEmpty {
                    let take = try db.cachedStatement(sql: """
                        UPDATE bus_pending SET consumer = ?, instance = ?, lease_expires_at = ?, deliveries = deliveries + 1
                        WHERE group_name = ? AND seq = ?
                        """)
                    for row in stale {
                        let seq: Int64 = row[0]
                        try take.execute(arguments: [consumer, instance, leaseEnd, group, seq])
                        rows.append((seq, row[1]))
                    }
                    redelivered = stale.count
                }
                let remaining = maximum - rows.count
                if remaining > 0 {
                    let position = try Int64.fetchOne(db, sql: "SELECT last_delivered FROM bus_groups WHERE name = ?", arguments: [group]) ?? 0
                    let fresh = try Row.fetchAll(db, sql: "SELECT seq, body FROM bus_events WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [position, remaining])
                    if let last = fresh.last {
                        let record = try db.cachedStatement(sql: """
                            INSERT OR REPLACE INTO bus_pending(group_name, seq, consumer, instance, lease_expires_at, deliveries)
                            VALUES (?, ?, ?, ?, ?, 1)
                            """)
                        for row in fresh {
                            let seq: Int64 = row[0]
                            try record.execute(arguments: [group, seq, consumer, instance, leaseEnd])
                            rows.append((seq, row[1]))
                        }
                        let lastSeq: Int64 = last[0]
                        try db.execute(sql: "UPDATE bus_groups SET last_delivered = ? WHERE name = ?", arguments: [lastSeq, group])
                    }
                }
                return .commit
            }
            return (rows, redelivered)
        }
        metrics.delivered.increment(by: rows.count)
        if redelivered > 0 {
            metrics.redelivered.increment(by: redelivered)
            logger.debug("journal bus redelivery", metadata: ["bus.group": "\(group)", "bus.consumer": "\(consumer)", "bus.count": "\(redelivered)"])
        }
        return try rows.map { seq, body in
            do {
                return BusDelivery(position: String(seq), event: try RealtimeEventCodec.decode(body))
            } catch {
                throw BrokerHubError(.malformedPayload, "journal bus: event \(seq) cannot be decoded", underlying: error)
            }
        }
    }
}
