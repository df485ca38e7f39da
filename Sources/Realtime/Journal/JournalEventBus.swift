import BrokerCore
import Foundation
import GRDB
import Logging
import Metrics
import ServiceLifecycle

/// The embedded durable bus: a SQLite journal (WAL) with group commit.
///
/// `publish` encodes its events (`RealtimeEventCodec`) and joins the next group commit: one transaction
/// appends up to `maxBatch` events from any number of concurrent publishers, adds them to the published
/// counts and is fsynced once (`durability`); `publish` returns after that commit. Consumer groups keep their
/// delivered position and one row per unacknowledged delivery, so acknowledgements may come in any order
/// and survive restarts. Collector and archiver processes may open the same path at once (WAL, busy
/// timeout). As a `Service`, it compacts acknowledged events every `compactionInterval` until graceful
/// shutdown.
public final class JournalEventBus: EventBus, Service {
    public let configuration: JournalEventBusConfiguration
    let database: DatabasePool
    let logger: Logger
    /// Identifies this open instance in `bus_pending`: deliveries owned by another instance go back to their
    /// consumer name at once (that process restarted).
    let instance = UUID().uuidString
    let signal: BusSignal
    let broadcaster: LiveBroadcaster
    let liveTail: JournalLiveTail
    private let committer: JournalGroupCommit<JournalRow>
    let metrics: JournalMetrics

    /// Opens (creating if needed) the journal at `configuration.path`.
    public init(configuration: JournalEventBusConfiguration, logger: Logger = Logger(label: "brokerhub.bus.journal")) throws {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "bus.path"] = "\(configuration.path)"
        self.logger = logger
        try PrivateFiles.prepareDatabase(at: configuration.path)
        var options = Configuration()
        options.busyMode = .timeout(30)
        options.label = "brokerhub.bus.journal"
        let database = try DatabasePool(path: configuration.path, configuration: options)
        let synchronous = configuration.durability == .full ? "FULL" : "NORMAL"
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.inTransaction(.immediate) {
                try JournalSchema.create(db)
                for group in configuration.groups {
                    try db.execute(sql: "INSERT OR IGNORE INTO bus_groups(name, last_delivered) VALUES (?, 0)", arguments: [group])
                }
                return .commit
            }
        }
        self.database = database
        let broadcaster = LiveBroadcaster(bufferSize: configuration.liveBufferSize, bus: "journal")
        self.broadcaster = broadcaster
        let metrics = JournalMetrics()
        self.metrics = metrics
        let clock = configuration.clock
        let signal = BusSignal(clock: clock)
        self.signal = signal
        liveTail = JournalLiveTail(database: database, signal: signal, broadcaster: broadcaster, pollInterval: configuration.pollInterval, logger: logger)
        committer = JournalGroupCommit(window: configuration.commitWindow, maxBatch: configuration.maxBatch, clock: clock) { rows in
            try await Self.append(rows, to: database, at: clock.now)
            metrics.commits.increment()
            metrics.published.increment(by: rows.count)
        }
    }

    /// Opens the journal at `path` with the default configuration.
    public convenience init(path: String, logger: Logger = Logger(label: "brokerhub.bus.journal")) throws {
        try self.init(configuration: JournalEventBusConfiguration(path: path), logger: logger)
    }

    public func publish(_ events: [RealtimeEvent]) async throws {
        guard !events.isEmpty else { return }
        let rows = events.map { JournalRow(key: $0.ledgerKey, body: Data(RealtimeEventCodec.encode($0))) }
        try await committer.submit(rows)
        signal.signal()
    }

    public func publishedCounts() async throws -> [LedgerKey: Int64] {
        try await database.read { db in
            var counts: [LedgerKey: Int64] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT provider, channel, symbol, count FROM bus_counts")
            while let row = try rows.next() {
                guard let channel = RealtimeChannel(rawValue: row[1]) else { continue }
                counts[LedgerKey(provider: row[0], channel: channel, symbol: row[2])] = row[3]
            }
            return counts
        }
    }

    /// Live events from the journal file, whoever appended them (this process or another): see `JournalLiveTail`.
    public func live(pattern: String) async throws -> AsyncStream<RealtimeEvent> {
        let stream = broadcaster.subscribe(LivePattern(pattern))
        try await liveTail.ensureFollowing()
        return stream
    }

    /// Ends live streams and closes the database. Publishing or reading afterwards throws.
    public func close() throws {
        liveTail.close()
        broadcaster.finish()
        try database.close()
    }

    /// One group commit: appends the rows and adds them to the published counts in one transaction.
    static func append(_ rows: [JournalRow], to database: DatabasePool, at now: Date) async throws {
        var counts: [LedgerKey: Int64] = [:]
        for row in rows { counts[row.key, default: 0] += 1 }
        let totals = counts
        try await database.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let insert = try db.cachedStatement(sql: "INSERT INTO bus_events(published_at, body) VALUES (?, ?)")
                let at = now.timeIntervalSince1970
                for row in rows {
                    try insert.execute(arguments: [at, row.body])
                }
                let count = try db.cachedStatement(sql: """
                    INSERT INTO bus_counts(provider, channel, symbol, count) VALUES (?, ?, ?, ?)
                    ON CONFLICT(provider, channel, symbol) DO UPDATE SET count = count + excluded.count
                    """)
                for (key, added) in totals {
                    try count.execute(arguments: [key.provider, key.channel.rawValue, key.symbol, added])
                }
                return .commit
            }
        }
    }
}

/// One encoded event waiting for its group commit.
struct JournalRow: Sendable {
    var key: LedgerKey
    var body: Data
}

/// The journal's swift-metrics instruments.
struct JournalMetrics: Sendable {
    let published = Counter(label: "brokerhub_bus_published_total", dimensions: [("bus", "journal")])
    let commits = Counter(label: "brokerhub_bus_commits_total", dimensions: [("bus", "journal")])
    let delivered = Counter(label: "brokerhub_bus_delivered_total", dimensions: [("bus", "journal")])
    let redelivered = Counter(label: "brokerhub_bus_redelivered_total", dimensions: [("bus", "journal")])
    let acknowledged = Counter(label: "brokerhub_bus_acknowledged_total", dimensions: [("bus", "journal")])
    let compacted = Counter(label: "brokerhub_bus_compacted_total", dimensions: [("bus", "journal")])
}


