import BrokerWire
import Foundation
import Logging
import PostgresNIO
import ProcessTestSupport
import Testing

/// The realtime pipeline as real processes: a streaming mock broker, a collector and archivers on the shared
/// Redis and PostgreSQL, with a unique bus prefix and schema per test.
final class PipelineRig: @unchecked Sendable {
    static let redisURL = ProcessInfo.processInfo.environment["BROKERHUB_TEST_REDIS_URL"]
    static let postgresURL = ProcessInfo.processInfo.environment["BROKERHUB_TEST_POSTGRES_URL"]
    /// The collector's symbols (one session, ticks only).
    static let symbols = ["005930", "000660", "035420"]
    static var isAvailable: Bool { redisURL != nil && postgresURL != nil }

    let directory: URL
    let mock: ServerProcess
    let credentials: URL
    let bus: String
    let sink: String
    let schema: String
    let postgresURL: String
    private var archivers = 0
    /// The operations URL of the archiver started last with `--http-port` (its ready file holds it).
    private(set) var archiverURL = ""

    /// A rig on the shared services, or on `services` when given; `redisURL` / `postgresURL` override the
    /// bus's Redis and the sink's PostgreSQL (a private server, a test proxy).
    init(name: String, services: PrivateServices? = nil, redisURL: String? = nil, postgresURL: String? = nil) async throws {
        let tag = "\(name)_\(UUID().uuidString.prefix(8).lowercased())"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-reliability-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        credentials = directory.appendingPathComponent("credentials.json")
        schema = "bh_rel_\(tag)"
        self.postgresURL = try #require(postgresURL ?? services?.postgresURL ?? Self.postgresURL)
        bus = try #require(redisURL ?? services?.redisURL ?? Self.redisURL) + "?prefix=bh-rel-\(tag)"
        sink = self.postgresURL + "?schema=\(schema)"
        mock = try await ServerProcess.start(
            ["mock-broker", "--port", "0", "--always-open", "--write-credentials", credentials.path,
             "--stream-rate", "20000", "--records-per-frame", "20"],
            directory: directory
        )
    }

    func startCollector(extra: [String] = []) throws -> ServerProcess {
        return try ServerProcess.launch(
            ["collect", "--mock", mock.url, "--mock-credentials", credentials.path, "--provider", "kis",
             "--symbols", Self.symbols.joined(separator: ","), "--channels", "ticker", "--bus", bus, "--always-open"] + extra,
            directory: directory
        )
    }

    /// An archiver with a fixed consumer name, so a restarted one reads its own pending entries back first.
    /// `sinkOptions` are added to the sink URL (`&timeout=3`); `extra` to the command line.
    func startArchiver(consumer: String = "archiver-1", sinkOptions: String = "", extra: [String] = []) async throws -> ServerProcess {
        archivers += 1
        let ready = directory.appendingPathComponent("archiver-ready-\(archivers)")
        let archiver = try ServerProcess.launch(
            ["archive", "--bus", bus, "--sink", sink + sinkOptions, "--spool", directory.appendingPathComponent("spool-\(consumer)").path,
             "--consumer", consumer, "--attempts", "2", "--backoff-cap-seconds", "2", "--ready-file", ready.path,
             // The ledger's loss check judges every second with a short grace: a false `ledger.missing` page during the
             // outages would be a stored system row, and the suites' "tick rows = stored" checks would fail.
             "--ledger-seconds", "1", "--ledger-grace-seconds", "1"] + extra,
            directory: directory
        )
        try await waitUntil("archiver ready", timeout: 30) { FileManager.default.fileExists(atPath: ready.path) || !archiver.isRunning }
        #expect(archiver.isRunning, "archiver exited: \(archiver.output.suffix(2000))")
        let line = (try? String(contentsOf: ready, encoding: .utf8))?.split(separator: "\n").first.map(String.init) ?? ""
        if line.hasPrefix("http") { archiverURL = line }
        return archiver
    }

    /// Total records the mock has sent (KIS).
    func mockRecordsSent() async throws -> Int64 {
        Int64(try await mockStats()["records_sent"]?.text ?? "") ?? 0
    }

    struct Ledger {
        var status: Int32
        var output: String
        var published: Int64
        var stored: Int64
        var missing: Int64
    }

    /// `brokerhub ledger status --json` (or `ledger check --mock` when `againstMock`).
    func ledger(againstMock: Bool = false) async throws -> Ledger {
        let arguments = againstMock
            ? ["ledger", "check", "--mock", mock.url, "--sink", sink, "--json"]
            : ["ledger", "status", "--bus", bus, "--sink", sink, "--json"]
        let (status, output) = try await ServerProcess.run(arguments, directory: directory)
        let line = output.split(separator: "\n").first { $0.hasPrefix("{") }.map(String.init) ?? ""
        let json = try? JSONParser.parse(Array(line.utf8))
        let published = Int64(json?[againstMock ? "sent" : "published"]?.text ?? "") ?? -1
        let stored = Int64(json?["stored"]?.text ?? "") ?? -1
        let missing = Int64(json?["missing"]?.text ?? "") ?? -1
        return Ledger(status: status, output: output, published: published, stored: stored, missing: missing)
    }

    /// Events published on the bus so far (`ledger status` reads the bus's counts; -1 when unreadable).
    func ledgerPublished() async throws -> Int64 { try await ledger().published }

    /// Segment files (`spool-N.seg`) in the spool directory of archiver `consumer`.
    func spooledFiles(consumer: String = "archiver-1") -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("spool-\(consumer)").path)) ?? []
        return names.filter { $0.hasPrefix("spool-") && $0.hasSuffix(".seg") }.count
    }

    /// Polls `ledger status` until stored == published (exit 0).
    func waitForDrain(timeout: Double = 120) async throws -> Ledger {
        var last = try await ledger()
        let deadline = Date().addingTimeInterval(timeout)
        while last.status != 0, Date() < deadline {
            try await Task.sleep(for: .seconds(1))
            last = try await ledger()
        }
        return last
    }

    /// `count(*)` and `count(DISTINCT id)` of the schema's ticks table.
    func tickCounts() async throws -> (rows: Int64, distinct: Int64) {
        try await withConnection { connection, logger in
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT count(*), count(DISTINCT id) FROM \"\(self.schema)\".ticks"), logger: logger
            )
            for try await (all, distinct) in rows.decode((Int64, Int64).self) { return (all, distinct) }
            return (-1, -1)
        }
    }

    /// Rows of the schema's `system_alerts` of `kind`.
    func alerts(kind: String) async throws -> Int64 {
        try await withConnection { connection, logger in
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM \"\(self.schema)\".system_alerts WHERE kind = '\(kind)'"), logger: logger
            )
            for try await count in rows.decode(Int64.self) { return count }
            return -1
        }
    }

    /// The mock's KIS statistics.
    func mockStats() async throws -> JSONValue {
        try #require(try await Web.get(mock.url + "/_mock/stats").json?["kis"])
    }

    /// Stops every process and drops the schema.
    func cleanUp(_ processes: [ServerProcess?]) async {
        for process in processes { await process?.stop() }
        await mock.stop()
        _ = try? await withConnection { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(self.schema)\" CASCADE"), logger: logger)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func withConnection<T>(_ body: (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let url = try #require(URLComponents(string: postgresURL))
        let logger = Logger(label: "test.reliability")
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: url.host ?? "127.0.0.1", port: url.port ?? 5432, username: url.user ?? "postgres",
                                 password: url.password, database: String(url.path.dropFirst()), tls: .disable),
            id: 1, logger: logger
        )
        do {
            let result = try await body(connection, logger)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// The worker processes of a rig; tests replace them when they kill and restart one.
final class PipelineProcesses: @unchecked Sendable {
    var archiver: ServerProcess?
    var collector: ServerProcess?
}

extension PipelineRig {
    /// Starts a rig with an archiver and a collector, runs `body`, records any error it throws, and always
    /// stops every process and drops the rig's schema.
    static func run(
        _ name: String, services: PrivateServices? = nil, redisURL: String? = nil, postgresURL: String? = nil,
        archiverOptions: [String] = [], sinkOptions: String = "", _ body: (PipelineRig, PipelineProcesses) async throws -> Void
    ) async throws {
        let rig = try await PipelineRig(name: name, services: services, redisURL: redisURL, postgresURL: postgresURL)
        let processes = PipelineProcesses()
        do {
            processes.archiver = try await rig.startArchiver(sinkOptions: sinkOptions, extra: archiverOptions)
            processes.collector = try rig.startCollector()
            try await body(rig, processes)
        } catch {
            Issue.record("\(error)")
        }
        await rig.cleanUp([processes.collector, processes.archiver])
    }
}

/// Polls `condition` every 200 ms until it holds; records an issue after `timeout` seconds.
func waitUntil(_ what: String, timeout: Double, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(200))
    }
    Issue.record("timed out waiting for \(what)")
}
