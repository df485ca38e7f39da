import ArgumentParser
import BrokerClients
import BrokerCore
import Collector
import Foundation
import HubEngine
import HubServer
import Logging
import MockBroker
import MockMarket
import Realtime
import RedisClient
import ServiceLifecycle

/// `brokerhub collect`: the realtime collector — broker WebSockets → the durable bus.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Collect KIS/Kiwoom realtime ticks and order books into the bus until SIGTERM (nothing dropped silently).",
        discussion: """
        One WebSocket session per configured account (app key), at most --capacity registrations each; symbols no \
        session can carry raise a subscription.cap alert. Accounts come from the hub's configuration (--config, \
        BROKERHUB_KIS_APPKEY/BROKERHUB_KIS_APPSECRET, BROKERHUB_KIWOOM_APPKEY/BROKERHUB_KIWOOM_SECRETKEY, \
        BROKERHUB_SECRETS_FILE), or with --mock URL from the mock's credentials (--mock-credentials FILE or \
        generated from --mock-seed). SIGTERM/SIGINT unsubscribe, close the sockets and flush the buffer to the bus.
        --bus journal:PATH | redis://host:port/db
        """
    )

    @Option(help: "Mock broker base URL (http://127.0.0.1:PORT): its WebSockets and credentials.")
    var mock: String?

    @Option(help: "Mock credentials file (written by `mock-broker --write-credentials`).")
    var mockCredentials: String?

    @Option(help: "Seed of the mock's generated credentials and universe (when no credentials file).")
    var mockSeed: UInt64 = 20_250_908

    @Option(help: "JSON configuration file of the hub (accounts, token store).")
    var config: String?

    @Option(help: "The hub's embedded store whose token and approval key to use (default: the hub configuration's, ./var/brokerhub).")
    var dataDir: String?

    @Option(help: "The hub's Redis (distributed mode) whose token and approval key to use; needs the hub's BROKERHUB_TOKEN_KEY.")
    var redis: String?

    @Flag(help: "Issue tokens of its own, kept in memory: a second token per key (only for a broker no hub uses; the default with --mock and no --data-dir/--redis).")
    var privateTokens = false

    @Option(help: "Providers: kis, kiwoom or all (default: those with accounts).")
    var provider: String?

    @Option(help: "Comma-separated symbols, e.g. 005930,000660.")
    var symbols: String?

    @Option(help: "Collect the N largest symbols (mock universe order; with --mock only).")
    var universeTop: Int?

    @Option(help: "Channels: ticker, orderbook or both (comma-separated).")
    var channels: String = "ticker,orderbook"

    @Flag(help: "Ticks and order books on separate sessions.")
    var splitChannels = false

    @Option(help: "KIS execution notices (H0STCNI0) for this HTS ID: subscribed, decrypted and kept in the raw-frame log.")
    var kisNotices: String?

    @Option(help: "Registrations per session, at most what the broker takes (KIS 41, Kiwoom 100 a REG).")
    var capacity: Int = 41

    @Option(help: "The bus: journal:PATH or redis://host:port/db.")
    var bus: String = "journal:./var/brokerhub/bus.sqlite"

    @Option(help: "Keep raw frames (malformed, fragments, notices) in hourly files under this directory.")
    var rawLog: String?

    @Option(help: "KIS WebSocket URL for every KIS account (default: by account kind, real :21000 or paper :31000, or the mock's).")
    var kisWsURL: String?

    @Option(help: "Kiwoom WebSocket URL for every Kiwoom account (default: by account kind, api or mockapi, or the mock's).")
    var kiwoomWsURL: String?

    @Option(help: "Control channel: perform the signed operator commands (`brokerhub control`) published on this Redis (redis://host:port/db); the key comes from BROKERHUB_CONTROL_KEY.")
    var control: String?

    @Option(help: "Key prefix of the control channel ({prefix}:control).")
    var controlPrefix: String = "bh"

    @Flag(help: "Treat the market as always open (the watchdog acts at any hour; for the mock's --always-open).")
    var alwaysOpen = false

    @Option(name: [.customLong("http-port"), .customLong("metrics-port")], help: "Serve /health, /ready and /metrics on this loopback port (0: any free port).")
    var httpPort: Int?

    @Option(help: "Address of the /health, /ready and /metrics endpoint (0.0.0.0 in a container, for Prometheus).")
    var httpHost: String = "127.0.0.1"

    @Option(help: "Write the operations endpoint's URL to this file once it listens (with --http-port).")
    var readyFile: String?

    @Option(help: "Stop after this many seconds (default: run until SIGTERM/SIGINT).")
    var duration: Double?

    @Option(help: "SIGTERM: seconds the drain may take before the process cancels its work (and ends 5 s later at most).")
    var drainSeconds: Double = 15

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: BROKERHUB_LOG_LEVEL or info).")
    var logLevel: String?

    func validate() throws {
        guard capacity > 0 else { throw ValidationError("--capacity must be positive") }
        if universeTop != nil, mock == nil { throw ValidationError("--universe-top needs --mock (real brokers: give --symbols)") }
        if symbols == nil, universeTop == nil { throw ValidationError("give --symbols or --universe-top") }
    }

    func run() async throws {
        HubMetrics.bootstrap()  // before any metric is created, so that /metrics sees them all
        let logger = try ProcessRunner.logger(label: "brokerhub.collector", level: logLevel)
        var configuration = CollectorConfiguration()
        configuration.accounts = try accounts()
        if let mock { configuration.useMockBroker(base: mock) }
        if let kisWsURL { configuration.useWebSocketURL(kisWsURL, for: .kis) }
        if let kiwoomWsURL { configuration.useWebSocketURL(kiwoomWsURL, for: .kiwoom) }
        configuration.capacity = [.kis: capacity, .kiwoom: capacity]
        configuration.splitChannels = splitChannels
        configuration.kisNoticeHTSID = kisNotices
        if alwaysOpen { configuration.marketOpen = { _ in true } }
        let wantedChannels = try parseChannels()
        let wantedSymbols = symbolList()
        for provider in try providers(configuration.accounts) {
            configuration.want(provider, channels: wantedChannels, symbols: wantedSymbols)
        }
        guard !configuration.subscriptions.isEmpty else {
            CLIExit.report("no broker account for the chosen providers")
            throw ExitCode(CLIExit.usage)
        }
        let opened = try ProcessRunner.openBus(bus, logger: logger)
        let (tokens, tokenServices) = try tokenManager(logger: logger)
        let application = CollectorApplication(
            configuration: configuration, bus: opened.bus, rawLogDirectory: rawLog, credential: CredentialSource.tokens(tokens), logger: logger
        )
        let collector = application.collector
        let started = Date()
        print("brokerhub collect: run \(collector.runID), \(collector.sessionSubscriptions.count) session(s), bus \(bus)")
        var services = opened.services + tokenServices + application.services
        if let control {
            guard let key = ProcessInfo.processInfo.environment["BROKERHUB_CONTROL_KEY"], key.utf8.count >= 16 else {
                CLIExit.report("--control needs BROKERHUB_CONTROL_KEY (16 characters at least): commands are never accepted without it")
                throw ExitCode(CLIExit.usage)
            }
            let redis = RedisClient(configuration: try RedisConfiguration(url: control), logger: logger)
            services += [redis, CollectorControl(redis: redis, prefix: controlPrefix, key: key, collector: collector, logger: logger)]
        }
        if let httpPort {
            // Started last, stopped first. Not ready while a session has stopped for good (replaced by another
            // login, refused credentials) or registrations have no session to carry them.
            services.append(WorkerHTTPServer.endpoint(host: httpHost, port: httpPort, what: "collector", readyFile: readyFile, logger: logger) {
                if let (session, reason) = collector.stoppedSessions.min(by: { $0.key < $1.key }) { return "session \(session) stopped: \(reason)" }
                let uncovered = collector.uncovered.values.reduce(0) { $0 + $1.count }
                return uncovered > 0 ? "\(uncovered) registration(s) not covered by any session" : nil
            })
        }
        try await ProcessRunner.run(services, drainSeconds: drainSeconds, duration: duration, logger: logger)
        print(Self.summary(collector, seconds: Date().timeIntervalSince(started)))
    }

    static func summary(_ collector: Collector, seconds: Double) -> String {
        let stats = collector.stats.snapshot
        let alerts = stats.alerts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let reconnects = stats.reconnects.values.reduce(0, +)
        var lines = [
            "collector stopped after \(String(format: "%.1f", seconds)) s (run \(collector.runID))",
            "  frames \(stats.frames.values.reduce(0, +)), records \(stats.totalRecords), published \(stats.published) events, publish errors \(stats.publishErrors)",
            "  malformed \(stats.malformed), fragmented \(stats.fragmented), raw frames kept \(stats.rawFrames), reconnects \(reconnects)",
            "  alerts: \(alerts.isEmpty ? "none" : alerts)",
        ]
        for (provider, keys) in collector.uncovered.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            lines.append("  not covered (\(provider.rawValue)): \(keys.count) registration(s), e.g. \(keys.prefix(10).map(\.description).joined(separator: ", "))")
        }
        for (session, reason) in collector.stoppedSessions.sorted(by: { $0.key < $1.key }) {
            lines.append("  session \(session) stopped: \(reason)")
        }
        return lines.joined(separator: "\n")
    }

    /// The hub's token store (its token and approval key, issued once for every process of the deployment),
    /// or with `--private-tokens` (the default with `--mock` and no store named) tokens of its own in memory.
    private func tokenManager(logger: Logger) throws -> (TokenManager, [any Service]) {
        if privateTokens || (mock != nil && dataDir == nil && redis == nil) {
            let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            return (try TokenManager(store: InMemoryTokenStore(), cipher: TokenCipher(base64: key), clients: [KISClient(), KiwoomClient()], logger: logger), [])
        }
        var configuration: HubConfiguration
        do {
            configuration = try HubConfiguration.load(file: config)
            if let dataDir { configuration.dataDirectory = dataDir }
            if let redis { configuration.redisURL = redis }
            let opened = try SharedTokens.open(configuration, logger: logger)
            logger.info("tokens from the hub's store", metadata: [
                "tokens.store": "\(configuration.redisURL == nil ? "embedded " + configuration.dataDirectory : "redis")",
            ])
            return (opened.tokens, opened.services)
        } catch let error as BrokerHubError {
            throw ValidationError("the hub's token store: \(error.message)")
        }
    }

    private func accounts() throws -> [BrokerAccount] {
        if let mock {
            let credentials: MockCredentials
            if let path = mockCredentials {
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--mock-credentials: cannot read \(path)") }
                credentials = try JSONDecoder().decode(MockCredentials.self, from: data)
            } else {
                credentials = .generated(seed: mockSeed)
            }
            return credentials.keys.map {
                BrokerAccount(provider: $0.provider, appKey: $0.appKey, secret: $0.secret, kind: $0.kind == .paper ? .paper : .real, baseURL: mock)
            }
        }
        do {
            return try HubConfiguration.load(file: config).accounts
        } catch let error as BrokerHubError {
            throw ValidationError(error.message)
        }
    }

    private func providers(_ accounts: [BrokerAccount]) throws -> [Provider] {
        switch provider {
        case nil: return Provider.allCases.filter { provider in accounts.contains { $0.provider == provider } }
        case "all": return Provider.allCases
        case let name?:
            guard let provider = Provider(rawValue: name) else { throw ValidationError("--provider must be kis, kiwoom or all") }
            return [provider]
        }
    }

    private func parseChannels() throws -> [RealtimeChannel] {
        try channels.split(separator: ",").map {
            guard let channel = RealtimeChannel(rawValue: $0.trimmingCharacters(in: .whitespaces)), channel != .system else {
                throw ValidationError("--channels: ticker and/or orderbook")
            }
            return channel
        }
    }

    private func symbolList() -> [String] {
        var list = (symbols ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let universeTop {
            list += MockUniverse(seed: mockSeed, count: max(universeTop, 2_700)).symbols.prefix(universeTop).map(\.code)
        }
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }
}
