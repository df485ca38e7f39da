import BrokerCore
import Foundation
import GRDB
import Realtime
import Synchronization

/// The embedded sink: one SQLite file (WAL) through GRDB, plain tables with the event id as primary key.
public final class SQLiteArchiveSink: ArchiveSink {
    let writer: DatabasePool
    public let path: String
    /// Whether `prepare()` has succeeded (`write` prepares first otherwise).
    private let prepared = Atomic<Bool>(false)

    /// Opens (creating if needed) the database at `path`; `prepare()` (or the first `write`) creates the tables.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            try PrivateFiles.prepareDatabase(at: path)
            writer = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw ArchiverError(.sinkUnavailable, "cannot open SQLite archive at \(path)", underlying: error)
        }
    }

    public func prepare() async throws {
        try await writer.write { db in
            for statement in SQLiteArchiveSchema.statements { try db.execute(sql: statement) }
            for (table, column, declaration) in SQLiteArchiveSchema.addedColumns
            where try !db.columns(in: table).contains(where: { $0.name == column }) {
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(column) \(declaration)")
            }
        }
        prepared.store(true, ordering: .releasing)
    }

    @discardableResult
    public func write(_ events: [RealtimeEvent]) async throws -> ArchiveWriteSummary {
        let batch = ArchiveBatch(events)
        guard !batch.isEmpty else { return ArchiveWriteSummary() }
        try await prepareOnce()
        return try await writer.write { db in try SQLiteArchiveSink.insert(batch, into: db) }
    }

    /// Prepares the schema unless that has succeeded already.
    func prepareOnce() async throws {
        if !prepared.load(ordering: .acquiring) { try await prepare() }
    }

    public func storedCounts() async throws -> [LedgerKey: Int64] {
        try await writer.read { db in
            var counts: [LedgerKey: Int64] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT provider, channel, symbol, stored FROM archive_counts")
            while let row = try rows.next() {
                guard let channel = RealtimeChannel(rawValue: row[1]) else { continue }
                counts[LedgerKey(provider: row[0], channel: channel, symbol: row[2])] = row[3]
            }
            return counts
        }
    }

    /// A constraint, type-mismatch or too-big error from SQLite.
    public func rejects(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_CONSTRAINT, .SQLITE_MISMATCH, .SQLITE_TOOBIG].contains(error.resultCode)
    }

    public func rowCount(_ table: ArchiveTable) async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.rawValue)") ?? 0 }
    }

    public func close() async throws {
        try writer.close()
    }

    private static func insert(_ batch: ArchiveBatch, into db: Database) throws -> ArchiveWriteSummary {
        var inserted: [LedgerKey: Int64] = [:]
        var summary = ArchiveWriteSummary()
        let tick = try db.cachedStatement(sql: SQLiteArchiveSchema.insertTick)
        for row in batch.ticks {
            let t = row.payload
            try tick.execute(arguments: [
                row.event.id, row.event.provider.rawValue, row.event.channel.rawValue, row.event.symbol,
                t.time.archiveMicroseconds, row.event.receivedAt.archiveMicroseconds, t.price, t.volume, t.side.rawValue,
                t.change, t.changeRate.description, t.cumVolume, t.cumValue, t.open, t.high, t.low, t.askPrice,
                t.bidPrice, t.sourceType.rawValue, t.marketClass,
            ])
            if db.changesCount > 0 {
                inserted[row.key, default: 0] += 1
                summary.ticks += 1
            }
        }
        let book = try db.cachedStatement(sql: SQLiteArchiveSchema.insertOrderBook)
        for row in batch.orderBooks {
            let b = row.payload
            try book.execute(arguments: [
                row.event.id, row.event.provider.rawValue, row.event.channel.rawValue, row.event.symbol,
                b.time.archiveMicroseconds, row.event.receivedAt.archiveMicroseconds, levels(b.asks), levels(b.bids),
                b.totalAskQuantity, b.totalBidQuantity, b.sourceType.rawValue,
            ])
            if db.changesCount > 0 {
                inserted[row.key, default: 0] += 1
                summary.orderBooks += 1
            }
        }
        let alert = try db.cachedStatement(sql: SQLiteArchiveSchema.insertAlert)
        for row in batch.alerts {
            let a = row.payload
            try alert.execute(arguments: [
                row.event.id, row.event.provider.rawValue, row.event.channel.rawValue, row.event.symbol,
                a.at.archiveMicroseconds, row.event.receivedAt.archiveMicroseconds, a.kind, a.message,
                a.provider?.rawValue, a.symbol,
            ])
            if db.changesCount > 0 {
                inserted[row.key, default: 0] += 1
                summary.alerts += 1
            }
        }
        let count = try db.cachedStatement(sql: SQLiteArchiveSchema.addCount)
        for (key, stored) in inserted {
            try count.execute(arguments: [key.provider, key.channel.rawValue, key.symbol, stored])
        }
        return summary
    }

    /// Levels as `price:quantity` pairs separated by commas, best first.
    private static func levels(_ levels: [PriceLevel]) -> String {
        levels.map { "\($0.price):\($0.quantity)" }.joined(separator: ",")
    }
}
