import Archiver
import BrokerCore
import Foundation
import GRDB
import Logging
import PostgresNIO
import Realtime

/// Opens sinks for the behavioural suite: a fresh SQLite file, or a fresh PostgreSQL schema (dropped at the end).
struct SinkTestFixture: Sendable {
    enum Kind: String, Sendable {
        case sqlite
        case postgresCopy
        case postgresUnnest
    }

    let kind: Kind
    private let sqlitePath: String?
    private let postgres: PostgresSinkConfiguration?

    init(_ kind: Kind) throws {
        self.kind = kind
        switch kind {
        case .sqlite:
            sqlitePath = try PipelineTestEnvironment.temporaryDirectory("sink").appendingPathComponent("archive.sqlite").path
            postgres = nil
        case .postgresCopy, .postgresUnnest:
            var configuration = try PostgresSinkConfiguration(url: PipelineTestEnvironment.postgresURL ?? "")
            configuration.schema = PipelineTestEnvironment.uniqueName("bh_sink")
            configuration.method = kind == .postgresCopy ? .copy : .unnest
            postgres = configuration
            sqlitePath = nil
        }
    }

    /// A new sink on the same storage (call `prepare()` yourself).
    func open() throws -> any ArchiveSink {
        if let sqlitePath { return try SQLiteArchiveSink(path: sqlitePath) }
        return PostgresArchiveSink(configuration: postgres!)
    }

    /// The PostgreSQL configuration (nil for SQLite).
    var postgresConfiguration: PostgresSinkConfiguration? { postgres }

    /// The SQLite file (nil for PostgreSQL), for a `sqlite:` specification.
    var sqlitePathForTests: String? { sqlitePath }

    /// Drops the test schema (PostgreSQL) or the directory (SQLite).
    func cleanUp() async {
        if let sqlitePath {
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: sqlitePath).deletingLastPathComponent())
        }
        if let postgres { await Self.dropSchema(postgres) }
    }

    static func dropSchema(_ configuration: PostgresSinkConfiguration) async {
        _ = try? await execute(["DROP SCHEMA IF EXISTS \"\(configuration.schema)\" CASCADE"], on: configuration)
    }

    /// Runs statements on a connection of its own; returns the rows of the last one as text columns.
    @discardableResult
    static func execute(_ statements: [String], on configuration: PostgresSinkConfiguration) async throws -> [[String?]] {
        let logger = Logger(label: "test.postgres")
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: configuration.host, port: configuration.port, username: configuration.username,
                                 password: configuration.password, database: configuration.database, tls: .disable),
            id: 1, logger: logger
        )
        var rows: [[String?]] = []
        do {
            for statement in statements {
                rows = []
                for try await row in try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) {
                    rows.append(row.map { cell in try? cell.decode(String?.self) ?? nil })
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
        return rows
    }

    /// `market_class` of every stored tick, by event id (read behind the sink's back).
    func storedMarketClasses() async throws -> [String: String?] {
        var classes: [String: String?] = [:]
        if let sqlitePath {
            let queue = try DatabaseQueue(path: sqlitePath)
            for row in try await queue.read({ try Row.fetchAll($0, sql: "SELECT id, market_class FROM ticks") }) {
                classes[row["id"]] = row["market_class"] as String?
            }
            try queue.close()
        } else if let postgres {
            let sql = "SELECT id, market_class FROM \"\(postgres.schema)\".ticks"
            for row in try await Self.execute([sql], on: postgres) { classes[row[0] ?? ""] = row[1] }
        }
        return classes
    }

    /// Leaves an archive as BrokerHub's releases before `market_class` left it: the tables as today's sink creates
    /// them, with that column dropped again.
    func createArchiveOfTheFirstRelease() async throws {
        let sink = try open()
        try await sink.prepare()
        try await sink.close()
        if let sqlitePath {
            let queue = try DatabaseQueue(path: sqlitePath)
            try await queue.write { try $0.execute(sql: "ALTER TABLE ticks DROP COLUMN market_class") }
            try queue.close()
        } else if let postgres {
            try await Self.execute(["ALTER TABLE \"\(postgres.schema)\".ticks DROP COLUMN market_class"], on: postgres)
        }
    }
}

/// Expected ledger counts of a set of distinct events.
func expectedCounts(_ events: [RealtimeEvent]) -> [LedgerKey: Int64] {
    var counts: [LedgerKey: Int64] = [:]
    var seen = Set<String>()
    for event in events where seen.insert(event.id).inserted { counts[event.ledgerKey, default: 0] += 1 }
    return counts
}

/// Total rows over the three archive tables.
func totalRows(_ sink: any ArchiveSink) async throws -> Int {
    var total = 0
    for table in ArchiveTable.allCases { total += try await sink.rowCount(table) }
    return total
}
