import BrokerClients
import BrokerCore
import Logging
import MockBroker

/// The mock broker as every in-process test suite runs it: on a free loopback port, over real HTTP and
/// WebSocket, with one shared market profile (suites add what they test on top).
public enum MockBrokerHarness {
    /// 300 symbols, market always open at 20× speed from 2025-09-08 10:00 KST, keys generated from `seed`.
    public static func configuration(seed: UInt64, _ change: (inout MockBrokerConfiguration) -> Void = { _ in }) -> MockBrokerConfiguration {
        var configuration = MockBrokerConfiguration(credentials: .generated(seed: seed))
        configuration.universeSize = 300
        configuration.alwaysOpen = true
        configuration.marketSpeed = 20
        configuration.marketStart = KST.instant(KSTDate(year: 2025, month: 9, day: 8)!, hour: 10, minute: 0, second: 0)
        change(&configuration)
        return configuration
    }

    /// Serves `configuration` for the duration of `body`, which gets the broker and its base URL.
    public static func run<Result: Sendable>(
        _ configuration: MockBrokerConfiguration, logLevel: Logger.Level = .warning,
        _ body: @Sendable (MockBroker, String) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "test.mock")
        logger.logLevel = logLevel
        return try await MockBrokerServer.withRunning(configuration, logger: logger, body)
    }

    /// The mock's keys of `provider` as client accounts (in the mock's order: real keys first).
    public static func accounts(_ broker: MockBroker, _ provider: Provider, base: String, account: String = "default") -> [BrokerAccount] {
        broker.configuration.credentials.keys.filter { $0.provider == provider }.map {
            BrokerAccount(
                provider: provider, appKey: $0.appKey, secret: $0.secret, account: account,
                kind: $0.kind == .paper ? .paper : .real, baseURL: base
            )
        }
    }
}
