import Archiver
import BrokerCore
import Foundation
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

    /// Drops the test schema (PostgreSQL) or the directory (SQLite).
    func cleanUp() async {
        if let sqlitePath {
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: sqlitePath).deletingLastPathComponent())
        }
        if let postgres { await Self.dropSchema(postgres) }
    }

    static func dropSchema(_ configuration: PostgresSinkConfiguration) async {
        let logger = Logger(label: "test.postgres")
        guard let connection = try? await PostgresConnection.connect(
            configuration: .init(host: configuration.host, port: configuration.port, username: configuration.username,
                                 password: configuration.password, database: configuration.database, tls: .disable),
            id: 1, logger: logger
        ) else { return }
        _ = try? await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(configuration.schema)\" CASCADE"), logger: logger)
        try? await connection.close()
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
