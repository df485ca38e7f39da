import Foundation
import GRDB
import ServiceLifecycle

extension JournalEventBus {
    /// Deletes events every known group has acknowledged (below each group's oldest pending delivery and at
    /// or below its delivered position) that are older than `retention`. With no known group nothing is
    /// deleted. Deletes in chunks so publishers are never held up for long; returns how many were deleted.
    @discardableResult
    public func compact() async throws -> Int {
        let cutoff = configuration.clock.now.timeIntervalSince1970 - configuration.retention.timeInterval
        var total = 0
        while true {
            let deleted = try await database.writeWithoutTransaction { db -> Int in
                var deleted = 0
                try db.inTransaction(.immediate) {
                    let floor = try Int64.fetchOne(db, sql: """
                        SELECT MIN(COALESCE(
                            (SELECT MIN(p.seq) FROM bus_pending p WHERE p.group_name = g.name),
                            g.last_delivered + 1))
                        FROM bus_groups g
                        """)
                    guard let floor else { return .commit }
                    try db.execute(sql: """
                        DELETE FROM bus_events WHERE seq IN (
                            SELECT seq FROM bus_events WHERE seq < ? AND published_at < ? ORDER BY seq LIMIT 10000)
                        """, arguments: [floor, cutoff])
                    deleted = db.changesCount
                    return .commit
                }
                return deleted
            }
            total += deleted
            if deleted < 10_000 { break }
        }
        if total > 0 {
            metrics.compacted.increment(by: total)
            logger.debug("journal bus compacted", metadata: ["bus.deleted": "\(total)"])
        }
        return total
    }

    /// Compacts every `compactionInterval` until graceful shutdown or cancellation.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await self.configuration.clock.sleep(for: self.configuration.compactionInterval)
                do {
                    try await self.compact()
                } catch {
                    self.logger.warning("journal bus compaction failed", metadata: ["bus.error": "\(error)"])
                }
            }
        }
    }
}
