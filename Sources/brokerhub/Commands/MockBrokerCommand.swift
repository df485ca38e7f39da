import ArgumentParser
import BrokerCore
import Foundation
import HubServer
import Logging
import MockBroker
import ServiceLifecycle

/// `brokerhub mock-broker`: the faithful KIS + Kiwoom mock (REST and WebSocket) on one port.
struct MockBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-broker",
        abstract: "Run the mock KIS + Kiwoom broker (REST and WebSocket) over a seeded simulated market.",
        discussion: """
        One port serves KIS REST (/oauth2/tokenP, /uapi/…), Kiwoom REST (/oauth2/token, /api/dostk/…), the Kiwoom \
        WebSocket (/api/dostk/websocket), the KIS WebSocket (any other path, e.g. /tryitout) and the control API \
        (/_mock/stats, /_mock/faults, /_mock/expire-tokens, /_mock/disconnect, /_mock/market).
        Credentials: --credentials FILE (JSON written by --write-credentials), or keys generated from the seed.
        """
    )

    @Option(help: "Address to bind (loopback by default).")
    var host = "127.0.0.1"

    @Option(help: "Port; 0 picks a free one and prints it.")
    var port = 0

    @Option(help: "Seed of the simulated market and generated credentials.")
    var seed: UInt64 = 20_250_908

    @Option(help: "Number of symbols in the universe.")
    var universe = 2_700

    @Option(help: "KIS requests per second per real-account app key.")
    var kisRate = 18

    @Option(help: "KIS requests per second per paper-account app key.")
    var kisPaperRate = 1

    @Option(help: "Optional KIS requests per minute per app key.")
    var kisPerMinute: Int?

    @Option(help: "Fields per H0STCNT0 record: 47 as KIS sends since 2026-09-14, or 46 for clients written for the old layout (python-kis 2.1.6).")
    var kisTickFields = 47

    @Option(help: "Kiwoom requests per second per app key (all api-ids).")
    var kiwoomRate = 5

    @Option(help: "Kiwoom requests per second per app key and api-id.")
    var kiwoomApiRate = 2

    @Option(help: "Token lifetime in seconds (KIS and Kiwoom).")
    var tokenLifetime: Double = 86_400

    @Option(help: "Minimum seconds between KIS token issues per key (EGW00133 below it).")
    var tokenInterval: Double = 60

    @Option(help: "Minimum seconds between KIS approval keys per key (EGW00201 below it).")
    var approvalInterval: Double = 1

    @Option(help: "Simulated market speed (1 = real time, 60 = a minute per second).")
    var marketSpeed: Double = 1

    @Flag(help: "Hold the market open whatever the wall clock says.")
    var alwaysOpen = false

    @Option(help: "Simulated time at start, YYYYMMDDHHMMSS (KST); default now.")
    var marketStart: String?

    @Option(help: "Seconds between KIS PINGPONG / Kiwoom PING heartbeats.")
    var pingInterval: Double = 110

    @Option(help: "Milliseconds between realtime pushes.")
    var pushInterval = 100

    @Option(help: "Stream mode: realtime sessions send this many trade records per second (off by default; see /_mock/realtime).")
    var streamRate: Int?

    @Option(help: "Records per KIS frame in stream mode (1...100).")
    var recordsPerFrame = 10

    @Option(help: "Fault profile: none, jitter, flaky, chaos.")
    var faults = "none"

    @Option(help: "Read accepted credentials from this JSON file.")
    var credentials: String?

    @Option(help: "App keys generated per provider from the seed, 1 to 200 (the last KIS key is a paper key).")
    var keys = 3

    @Option(help: "Write the accepted credentials (with secrets) to this file, mode 0600, for clients.")
    var writeCredentials: String?

    @Option(help: "Write the base URL to this file once listening.")
    var readyFile: String?

    @Option(help: "SIGTERM: seconds the drain may take before the process cancels its work (and ends 5 s later at most).")
    var drainSeconds: Double = 15

    func run() async throws {
        var configuration = MockBrokerConfiguration(credentials: try loadCredentials())
        configuration.host = host
        configuration.port = port
        configuration.seed = seed
        configuration.universeSize = universe
        configuration.limits.kisRealPerSecond = kisRate
        configuration.limits.kisPaperPerSecond = kisPaperRate
        configuration.limits.kisPerMinute = kisPerMinute
        guard kisTickFields == 46 || kisTickFields == 47 else { throw ValidationError("--kis-tick-fields must be 46 or 47") }
        configuration.kisTickFields = kisTickFields
        configuration.limits.kiwoomTotalPerSecond = kiwoomRate
        configuration.limits.kiwoomPerAPIPerSecond = kiwoomApiRate
        configuration.kisTokenLifetime = .milliseconds(Int64(tokenLifetime * 1000))
        configuration.kiwoomTokenLifetime = .milliseconds(Int64(tokenLifetime * 1000))
        configuration.kisTokenIssueInterval = .milliseconds(Int64(tokenInterval * 1000))
        configuration.kisApprovalIssueInterval = .milliseconds(Int64(max(0, approvalInterval) * 1000))
        configuration.marketSpeed = marketSpeed
        configuration.alwaysOpen = alwaysOpen
        configuration.pingInterval = .milliseconds(Int64(pingInterval * 1000))
        configuration.pushInterval = .milliseconds(Int64(pushInterval))
        if let streamRate {
            guard streamRate > 0 else { throw ValidationError("--stream-rate must be positive") }
            guard (1...100).contains(recordsPerFrame) else { throw ValidationError("--records-per-frame must be 1...100") }
            configuration.realtime.streamRate = streamRate
            configuration.realtime.recordsPerFrame = recordsPerFrame
        }
        if let marketStart {
            guard let start = KST.parseCompactDateTime(marketStart) else {
                throw ValidationError("--market-start expects YYYYMMDDHHMMSS (KST), got \(marketStart)")
            }
            configuration.marketStart = start
        }
        guard let profile = FaultProfile.named(faults) else {
            throw ValidationError("--faults must be one of none, jitter, flaky, chaos")
        }
        configuration.faults = profile
        if let writeCredentials { try write(configuration.credentials, to: writeCredentials) }

        var logger = Logger(label: "brokerhub.mock")
        logger.logLevel = .info
        let broker = MockBroker(configuration: configuration, logger: logger)
        let readyFile = self.readyFile
        let settings = configuration
        let server = MockBrokerServer(broker: broker) { port in
            let configuration = settings
            let url = "http://\(configuration.host):\(port)"
            var banner = "mock broker listening on \(url) (seed \(configuration.seed), \(broker.market.universe.count) symbols)\n"
            for key in configuration.credentials.keys {
                banner += "  \(key.provider.rawValue) app key \(key.appKey.prefix(6))… (\(key.kind.rawValue))\n"
            }
            FileHandle.standardOutput.write(Data(banner.utf8))
            if let readyFile { try? Data((url + "\n").utf8).write(to: URL(fileURLWithPath: readyFile)) }
        }
        let group = ServiceGroup(configuration: .process([server], drainSeconds: drainSeconds, logger: logger))
        try await group.run()
    }

    private func loadCredentials() throws -> MockCredentials {
        guard let path = credentials else {
            guard (1...200).contains(keys) else { throw ValidationError("--keys must be 1 to 200") }
            return .generated(seed: seed, count: keys)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--credentials: cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(MockCredentials.self, from: data)
        } catch {
            throw ValidationError("--credentials: \(path) is not a credentials file: \(error)")
        }
    }

    private func write(_ credentials: MockCredentials, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(credentials)
        FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
    }
}
