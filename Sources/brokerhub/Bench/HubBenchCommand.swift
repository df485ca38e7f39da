import ArgumentParser
import AsyncHTTPClient
import BrokerClients
import BrokerCore
import Foundation
import HubEngine
import HubServer
import Logging
import MockBroker
import NIOCore
import ServiceLifecycle
import Synchronization

/// `brokerhub bench hub`: budget use under load, hub overhead on cached reads, HTTP requests/s on cache hits.
struct HubBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Budget utilisation and violations under load; hub overhead and HTTP throughput on cached reads."
    )

    @Option(help: "Seconds of saturating load for the budget measurement.")
    var seconds: Double = 20

    @Option(help: "Concurrent callers.")
    var callers = 16

    func run() async throws {
        #if DEBUG
        print("warning: debug build; figures are only meaningful with `swift run -c release brokerhub bench hub`")
        #endif
        var logger = Logger(label: "brokerhub.bench")
        logger.logLevel = .error
        var mockConfiguration = MockBrokerConfiguration(credentials: .generated(seed: 1))
        mockConfiguration.alwaysOpen = true
        mockConfiguration.faults.latencyMilliseconds = 5
        mockConfiguration.faults.jitterMilliseconds = 20
        let broker = MockBroker(configuration: mockConfiguration, logger: logger)
        let (mockPorts, mockReady) = AsyncStream.makeStream(of: Int.self)
        let mockGroup = ServiceGroup(configuration: .init(services: [.init(service: MockBrokerServer(broker: broker) { mockReady.yield($0) })], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await mockGroup.run() }
            var iterator = mockPorts.makeAsyncIterator()
            guard let mockPort = await iterator.next() else { return }
            let key = mockConfiguration.credentials.keys.first { $0.provider == .kis && $0.kind == .real }!
            var configuration = HubConfiguration()
            configuration.port = 0
            configuration.inMemory = true
            configuration.accounts = [BrokerAccount(provider: .kis, appKey: key.appKey, secret: key.secret, baseURL: "http://127.0.0.1:\(mockPort)")]
            let application = try HubApplication(configuration: configuration, logger: logger)
            let (hubPorts, hubReady) = AsyncStream.makeStream(of: Int.self)
            let hubGroup = ServiceGroup(configuration: .init(services: application.services { hubReady.yield($0) }.map { .init(service: $0) }, logger: logger))
            group.addTask { try await hubGroup.run() }
            var hubIterator = hubPorts.makeAsyncIterator()
            guard let hubPort = await hubIterator.next() else { return }
            let hub = "http://127.0.0.1:\(hubPort)"

            try await idle(seconds: 3)
            try await budget(application: application, broker: broker)
            try await cached(hub: hub, application: application)
            await hubGroup.triggerGracefulShutdown()
            await mockGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// CPU the process (hub and mock, both at rest) uses while nothing is asked of it: the figure `IdleTests` once
    /// asserted with a timer (its deterministic form is `DispatcherIdleTests`).
    func idle(seconds: Double) async throws {
        let before = Self.processCPUSeconds()
        try await Task.sleep(for: .seconds(seconds))
        let perSecond = (Self.processCPUSeconds() - before) / seconds
        print(String(format: "idle        hub + mock at rest for %.0f s: %.3f s of CPU per second (a spinning dispatcher: ~1.5 s/s on 2 cores; target ≤ 0.05)",
                     seconds, perSecond) + (perSecond <= 0.05 ? "" : " — NOT MET"))
    }

    /// User + system CPU seconds of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Callers saturate the KIS budget (the configured real-account limit) through the hub for `seconds`.
    func budget(application: HubApplication, broker: MockBroker) async throws {
        let symbols = broker.market.universe.symbols.prefix(50).map(\.code)
        let start = Date()
        let sendsBefore = try await application.hub.snapshot().provider(.kis)?.sends ?? 0
        let seconds = self.seconds, callers = self.callers
        try await ProgressLine.running(label: "budget     ", total: seconds.rounded(.up), unit: "s", done: { Date().timeIntervalSince(start).rounded(.down) }, detail: {
            "\(broker.stats.snapshot(.kis).rateLimitViolations) violations"
        }) {
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<callers {
                    group.addTask {
                        var index = caller
                        while Date().timeIntervalSince(start) < seconds {
                            index += callers
                            _ = try? await application.hub.execute(HubRequest(provider: .kis, transaction: "FHKST01010100", parameters: ["FID_INPUT_ISCD": symbols[index % symbols.count]]))
                        }
                    }
                }
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        let sends = Double((try await application.hub.snapshot().provider(.kis)?.sends ?? 0) - sendsBefore)
        let stats = broker.stats.snapshot(.kis)
        let limit = Double(application.configuration.limits.kisRealPerSecond)
        print(String(format: "budget      %d callers, %.0f s, limit %.0f/s (mock %d/s), 5–25 ms injected latency: %.0f sends = %.2f/s → %.1f%% of the budget; violations %d; tokens issued %d",
                     callers, elapsed, limit, broker.configuration.limits.kisRealPerSecond, sends, sends / elapsed, sends / elapsed / limit * 100, stats.rateLimitViolations, stats.tokensIssued))
    }

    /// Hub overhead on history-cache hits (no broker call), measured over HTTP, then requests/s.
    func cached(hub: String, application: HubApplication) async throws {
        let path = "/v1/candles/005930?provider=kis&interval=1d&from=20250101&to=20250630"
        _ = try await get(hub + path) // fill the cache
        var latencies: [Double] = []
        for _ in 0..<500 {
            let start = ContinuousClock.now
            _ = try await get(hub + path)
            latencies.append((ContinuousClock.now - start).timeInterval * 1000)
        }
        latencies.sort()
        print(String(format: "cache hit   one caller, 500 sequential GET /v1/candles (126 candles): p50 %.2f ms, p99 %.2f ms",
                     latencies[latencies.count / 2], latencies[latencies.count * 99 / 100]))
        let quotePath = "/v1/quotes/005930?provider=kis"
        _ = try await get(hub + quotePath)
        let counter = DemoSamples()
        let until = Date().addingTimeInterval(5)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    while Date() < until {
                        if (try? await get(hub + path)) == 200 { counter.add(1) }
                    }
                }
            }
        }
        let served = counter.count
        print(String(format: "throughput  32 HTTP clients, 5 s of cache hits: %d requests = %.0f requests/s (coalesced %d, cache hits %d)",
                     served, Double(served) / 5, application.hub.sharing.coalesced, application.hub.sharing.cacheHits))
    }

    func get(_ url: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 8 << 20)
        return Int(response.status.code)
    }
}
