import BrokerClients
import BrokerCore
import BrokerHubTesting
@testable import Collector
import Foundation
import HubEngine
import Logging
import MockBroker
import Realtime
import Synchronization
import Testing

/// Runs the mock broker in-process on loopback and a collector against it over real WebSocket, publishing
/// into a real `JournalEventBus` in a temporary directory.
enum CollectorHarness {
    struct TimedOut: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(what)" }
    }

    static var logger: Logger {
        var logger = Logger(label: "test.collector")
        logger.logLevel = .warning
        return logger
    }

    static func mockConfiguration(_ change: (inout MockBrokerConfiguration) -> Void = { _ in }) -> MockBrokerConfiguration {
        MockBrokerHarness.configuration(seed: 77) { configuration in
            configuration.pushInterval = .milliseconds(50)
            change(&configuration)
        }
    }

    static func withMock<Result: Sendable>(
        _ configuration: MockBrokerConfiguration = mockConfiguration(),
        _ body: @Sendable (MockBroker, String) async throws -> Result
    ) async throws -> Result {
        try await MockBrokerHarness.run(configuration, body)
    }

    /// The mock's accounts for `provider` (real keys first).
    static func accounts(_ broker: MockBroker, _ provider: Provider, base: String) -> [BrokerAccount] {
        MockBrokerHarness.accounts(broker, provider, base: base)
    }

    /// A token manager over the real REST clients: KIS approval keys and Kiwoom tokens from the mock.
    static func tokens() throws -> TokenManager {
        try TokenManager(
            store: InMemoryTokenStore(), cipher: TokenCipher(base64: Data(repeating: 7, count: 32).base64EncodedString()),
            clients: [KISClient(), KiwoomClient()], logger: logger
        )
    }

    /// A collector configuration for the mock at `base` with fast timers.
    static func configuration(base: String, accounts: [BrokerAccount]) -> CollectorConfiguration {
        var configuration = CollectorConfiguration()
        configuration.accounts = accounts
        configuration.useMockBroker(base: base)
        configuration.tickInterval = .milliseconds(50)
        configuration.marketOpen = { _ in true }
        configuration.reconnect = .init(initialDelay: .milliseconds(50), maxDelay: .milliseconds(500))
        return configuration
    }

    static func journal() throws -> (JournalEventBus, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("collector-tests-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("bus.sqlite").path
        return (try JournalEventBus(path: path, logger: logger), directory.path)
    }

    /// Runs `collector` while `body` runs, then stops it and waits for `run` to return (flushed).
    static func running<Result: Sendable>(
        _ collector: Collector, seconds: Double = 60, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await collector.run()
                return nil
            }
            group.addTask {
                defer { collector.stop() }
                return try await body()
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                collector.stop()
                throw TimedOut(what: "the collector test body")
            }
            var result: Result?
            var remaining = 2
            while remaining > 0, let next = try await group.next() {
                if let next { result = next }
                remaining -= 1
            }
            group.cancelAll()
            return try #require(result)
        }
    }

    /// Waits (polling) until `condition` holds; fails after `seconds`.
    static func eventually(_ what: String, seconds: Double = 20, _ condition: @Sendable () async throws -> Bool) async throws {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TimedOut(what: what)
    }

    /// Published market-data events per channel, from the journal's ledger.
    static func published(_ bus: some EventBus, provider: Provider) async throws -> [RealtimeChannel: Int64] {
        var result: [RealtimeChannel: Int64] = [:]
        for (key, count) in try await bus.publishedCounts() where key.provider == provider.rawValue {
            result[key.channel, default: 0] += count
        }
        return result
    }
}
