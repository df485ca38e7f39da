import Archiver
import BrokerClients
import BrokerCore
import Foundation
import HubEngine
import HubServer
import Logging
import MockBroker
import Realtime
import ServiceLifecycle

/// Orchestrates the demo: the mock broker, the realtime pipeline and the hub as one service group (started in
/// that order, stopped in reverse), the load, progress and the summary.
struct DemoRunner: Sendable {
    let duration: Double
    let seed: UInt64
    let backfillJobs: Int
    /// Distributed mode on this Redis (keys under a fresh `demo-…` prefix); nil for the embedded store.
    let redisURL: String?
    let jitter = #"{"latency_ms":5,"jitter_ms":20}"#
    /// Trades per second each mock realtime session streams (one KIS and one Kiwoom session: ~2,000/s in all).
    static let streamRatePerSession = 1_000

    func run() async throws -> Bool {
        var logger = Logger(label: "brokerhub.demo")
        logger.logLevel = .error
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-demo-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }

        var mockConfiguration = MockBrokerConfiguration(credentials: .generated(seed: seed))
        mockConfiguration.seed = seed
        mockConfiguration.alwaysOpen = true
        mockConfiguration.marketSpeed = 10
        // From 10:00 of the last trading day before today: a past day, whose minute candles the loss loop verifies
        // against (a market clock running past today's close would reach a day the hub calls the future).
        mockConfiguration.marketStart = KST.instant(KRXCalendar().previousTradingDay(before: KSTDate(Date())), hour: 10, minute: 0, second: 0)
        mockConfiguration.faults.latencyMilliseconds = 5
        mockConfiguration.faults.jitterMilliseconds = 20
        mockConfiguration.realtime.streamRate = Self.streamRatePerSession
        // The hub's accounts need the mock's address before any service starts.
        mockConfiguration.port = try FreePort.pick()
        let mockURL = "http://127.0.0.1:\(mockConfiguration.port)"
        let broker = MockBroker(configuration: mockConfiguration, logger: logger)

        print("BrokerHub demo: mock KIS + Kiwoom broker and the hub in one process, \(Int(duration)) s of mixed load")
        var configuration = HubConfiguration()
        configuration.port = 0
        configuration.dataDirectory = dataDirectory
        configuration.breaker.openDuration = .seconds(5)
        configuration.retry.maxAttempts = 2
        if let redisURL {
            configuration.redisURL = redisURL
            configuration.redisPrefix = "demo-\(UUID().uuidString.prefix(8).lowercased())"
            configuration.tokenKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        }
        let kis = mockConfiguration.credentials.keys.first { $0.provider == .kis && $0.kind == .real }!
        let kiwoom = mockConfiguration.credentials.keys.first { $0.provider == .kiwoom }!
        configuration.accounts = [
            BrokerAccount(provider: .kis, appKey: kis.appKey, secret: kis.secret, account: "50000000-01", baseURL: mockURL),
            BrokerAccount(provider: .kiwoom, appKey: kiwoom.appKey, secret: kiwoom.secret, account: "demo", baseURL: mockURL),
        ]
        // The realtime pipeline's bus, shared with the hub: its /v1/stream serves what the collector publishes.
        let realtimeDirectory = dataDirectory + "/realtime"
        try FileManager.default.createDirectory(atPath: realtimeDirectory, withIntermediateDirectories: true)
        let bus = try EventBusSpecification.open("journal:" + realtimeDirectory + "/bus.sqlite", logger: logger)
        // …and its archive, whose ledger the hub's status and dashboard show (published / stored / missing).
        configuration.archive = "sqlite:" + realtimeDirectory + "/archive.sqlite"
        let application = try HubApplication(configuration: configuration, bus: bus, logger: logger)
        let symbols = broker.market.universe.symbols.map(\.code)
        let realtime = try DemoRealtime(
            dataDirectory: realtimeDirectory, bus: bus, mockURL: mockURL, accounts: configuration.accounts,
            tickers: Array(symbols.prefix(10)), kiwoomTickers: Array(symbols.prefix(3)), tokens: application.tokens, logger: logger
        )
        // One group: the mock, the bus and archiver, the hub, the collector — stopped in reverse order.
        let (hubPorts, hubReady) = AsyncStream.makeStream(of: Int.self)
        let services: [ServiceGroupConfiguration.ServiceConfiguration] =
            ([MockBrokerServer(broker: broker)] + realtime.pipelineServices + application.services { hubReady.yield($0) }).map { .init(service: $0) }
            + realtime.collectorServices
        let group = ServiceGroup(configuration: .process(configured: services, drain: configuration.drainDuration, logger: logger))

        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { hubReady.finish() }
                try await group.run()
            }
            var hubIterator = hubPorts.makeAsyncIterator()
            guard let hubPort = await hubIterator.next() else {
                try await tasks.waitForAll()  // the group's error, e.g. the mock's port taken meanwhile
                throw BrokerHubError(.unavailable, "the services stopped before the hub listened")
            }
            let hubURL = "http://127.0.0.1:\(hubPort)"
            let store = redisURL.map { "Redis \($0) (keys \(configuration.redisPrefix):*)" } ?? dataDirectory
            print("  mock broker \(mockURL) · hub \(hubURL) (dashboard \(hubURL)/dashboard, live records \(hubURL)/v1/stream) · store \(store)")
            print("  realtime: collector (KIS ticks + books × 10 symbols, Kiwoom 0B × 3) → journal bus → archiver → SQLite, mock streaming \(Self.streamRatePerSession) trades/s per session")

            let passed = try await drive(application: application, broker: broker, realtime: realtime, hubURL: hubURL, mockURL: mockURL)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return passed
        }
    }

    /// Runs the load with live progress and prints the summary; true when the broker saw no violation and
    /// one token per key.
    func drive(application: HubApplication, broker: MockBroker, realtime: DemoRealtime, hubURL: String, mockURL: String) async throws -> Bool {
        let tally = DemoTally()
        let start = Date()
        let load = DemoLoad(
            hub: hubURL, mock: mockURL, tally: tally,
            symbols: broker.market.universe.symbols.prefix(300).map(\.code), until: start.addingTimeInterval(duration)
        )
        let hub = application.hub
        let samples = DemoSamples()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<10 { group.addTask { await load.quotes(provider: "kis", seed: index) } }
            for index in 0..<2 { group.addTask { await load.quotes(provider: "kiwoom", seed: 100 + index) } }
            for index in 0..<2 { group.addTask { await load.candles(seed: index * 5) } }
            group.addTask { await load.snapshots() }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                await load.backfillBurst(count: backfillJobs)
            }
            group.addTask { await load.faultBurst(at: start.addingTimeInterval(duration * 0.4), seconds: 3, restore: jitter) }
            group.addTask {
                // On a terminal a live line (time done of the run, ETA); piped, the detail lines below only.
                var progress = ProgressLine.standardOutputIsTerminal ? ProgressLine(label: "  demo", total: duration, unit: "s") : nil
                while Date() < start.addingTimeInterval(duration) {
                    for _ in 0..<4 {
                        try? await Task.sleep(for: .milliseconds(500))
                        let elapsed = min(duration, Date().timeIntervalSince(start))
                        let detail = "\(tally.succeeded) calls ok, \(tally.jobs.finished)/\(tally.jobs.submitted) jobs, rt stored \(realtime.stored)"
                        if let line = progress?.update(done: elapsed.rounded(.down), elapsed: elapsed, detail: detail) {
                            FileHandle.standardOutput.write(Data(line.utf8))
                        }
                    }
                    // Rates over 4 s: a 2-s count is a multiple of 0.5/s, too coarse against 18/s (17.0 is 94 %, 17.5 97 %).
                    guard let status = try? await hub.snapshot(rateWindow: 4), let kis = status.provider(.kis) else { continue }
                    let depth = status.queueDepth
                    let rate = kis.sendRate
                    if kis.breaker == .closed, Date().timeIntervalSince(start) > 4 { samples.add(rate) }
                    if progress != nil { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
                    print(String(
                        format: "  t=%3.0fs  calls ok %5d / %5d  jobs %3d/%3d  queue i%-3d s%-3d b%-4d  kis %5.1f/s (%3.0f%%)  breaker %@  rt pub %d / stored %d",
                        Date().timeIntervalSince(start), tally.succeeded, tally.total, tally.jobs.finished, tally.jobs.submitted,
                        depth[.interactive] ?? 0, depth[.snapshot] ?? 0, depth[.backfill] ?? 0, rate,
                        kis.budgetUtilisation * 100, kis.breaker.rawValue as NSString,
                        realtime.published, realtime.stored
                    ))
                }
            }
            await group.waitForAll()
        }
        let elapsed = Date().timeIntervalSince(start)
        await realtime.stopCollector()
        let collected = Date().timeIntervalSince(start)
        let report = await realtime.drain(timeout: 10)
        let restPassed = await summarize(application: application, broker: broker, tally: tally, elapsed: elapsed, saturatedRate: samples.median)
        let realtimePassed = summarizeRealtime(report: report, broker: broker, seconds: collected)
        let lossLoop = DemoLossLoop(
            bus: realtime.bus.bus, store: realtime.archiving.sink, hub: application.hub, mockURL: mockURL,
            accounts: application.configuration.accounts, tokens: application.tokens,
            symbols: broker.market.universe.symbols.dropFirst(20).prefix(3).map(\.code), logger: realtime.logger,
            marketDay: { KSTDate(broker.marketNow) }
        )
        let lossLoopPassed = await lossLoop.run { await realtime.drain(timeout: 20) }
        return restPassed && realtimePassed && lossLoopPassed
    }

    /// The realtime section: the ledger (bus published vs SQLite stored) and what the mock sent; true when every
    /// published event was stored.
    func summarizeRealtime(report: LedgerReport?, broker: MockBroker, seconds: Double) -> Bool {
        let sent = broker.stats.snapshot().values.reduce(0) { $0 + $1.recordsSent }
        print("  realtime")
        guard let report else {
            print("    ✘ the ledger could not be read")
            return false
        }
        print("    published         \(report.totalPublished) events on the bus (\(String(format: "%.0f", Double(report.totalPublished) / max(seconds, 0.001))) events/s over \(String(format: "%.1f", seconds)) s)")
        print("    stored            \(report.totalStored) rows in SQLite, missing \(report.totalMissing)")
        print("    mock records_sent \(sent) (KIS + Kiwoom, for comparison)")
        let passed = report.totalPublished > 0 && report.totalStored == report.totalPublished
        print(passed ? "    ✔ every published event stored (published == stored)" : "    ✘ expected stored == published (and some events)")
        return passed
    }

    func summarize(application: HubApplication, broker: MockBroker, tally: DemoTally, elapsed: Double, saturatedRate: Double) async -> Bool {
        let status = try? await application.hub.snapshot()
        let kis = status?.provider(.kis)
        let kisStats = broker.stats.snapshot(.kis)
        let kiwoomStats = broker.stats.snapshot(.kiwoom)
        let kisLimit = Double(application.configuration.limits.kisRealPerSecond)
        let kisSends = Double(kis?.sends ?? 0)
        print("\nSummary")
        print(String(format: "  caller requests   %d in %.1f s (%d ok)", tally.total, elapsed, tally.succeeded))
        for (outcome, count) in tally.outcomes.sorted(by: { $0.value > $1.value }) {
            print("    \(outcome.padding(toLength: 22, withPad: " ", startingAt: 0)) \(count)")
        }
        print(String(format: "  latency           p50 %.1f ms, p99 %.1f ms (successful calls)", tally.percentile(0.5), tally.percentile(0.99)))
        print("  backfill jobs     \(tally.jobs.finished) of \(tally.jobs.submitted) finished")
        print("  sharing           \(status?.cacheHits ?? 0) history-cache hits, \(status?.coalesced ?? 0) coalesced calls")
        print(String(format: "  KIS budget        %.1f/s of %.0f/s → %.1f%% utilisation while the circuit was closed (median of 4-s rates sampled every 2 s)",
                     saturatedRate, kisLimit, saturatedRate / kisLimit * 100))
        print(String(format: "                    %.0f sends in %.1f s overall, fault burst and wind-down included (circuit opened %d×)",
                     kisSends, elapsed, kis?.breakerOpened ?? 0))
        print("  Kiwoom            \(status?.provider(.kiwoom)?.sends ?? 0) sends")
        print("  mock broker saw   KIS: \(kisStats.rateLimitViolations) rate-limit violations, \(kisStats.tokensIssued) token(s) issued, \(kisStats.faultsInjected["server_error"] ?? 0) injected 5xx")
        print("                    Kiwoom: \(kiwoomStats.rateLimitViolations) rate-limit violations, \(kiwoomStats.tokensIssued) token(s) issued")
        let passed = saturatedRate / kisLimit >= 0.95 && kisStats.rateLimitViolations == 0 && kiwoomStats.rateLimitViolations == 0 && kisStats.tokensIssued == 1 && kiwoomStats.tokensIssued <= 1
        print(passed ? "  ✔ 0 violations, 1 token per key, ≥ 95 % of the budget used" : "  ✘ expected 0 violations, 1 token per key and ≥ 95 % of the budget used")
        return passed
    }
}
