import BrokerClients
import BrokerCore
import BrokerHubTesting
@testable import Collector
import Foundation
import HubServer
import MockBroker
import Realtime
import Synchronization
import Testing

/// A session that stays connected but goes silent during market hours: warn, resubscribe (answered
/// `OPSP0002`, which counts as confirmed), then reconnect.
@Suite("Collector: watchdog end to end", .timeLimit(.minutes(5)), .serialized)
struct WatchdogCollectorTests {
    @Test func silentSessionIsResubscribedThenReconnected() async throws {
        try await Self.withSilentSession { bus, configuration in
            var configuration = configuration
            configuration.watchdog = .init(warn: .milliseconds(300), resubscribe: .milliseconds(600), reconnect: .milliseconds(1_200))
            let collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(try CollectorHarness.tokens()), logger: CollectorHarness.logger)
            try await CollectorHarness.running(collector) {
                try await CollectorHarness.eventually("resubscribed") { (collector.stats.snapshot.alerts["watchdog.silence"] ?? 0) >= 2 }
                try await Task.sleep(for: .milliseconds(200))
                // The resubscribe was answered OPSP0002 (already subscribed): still confirmed, nothing refused.
                #expect(collector.stats.snapshot.totalConfirmed == 2)
                #expect(collector.stats.snapshot.alerts["subscription.refused"] == nil)
                try await CollectorHarness.eventually("reconnected") { collector.stats.snapshot.connections.values.reduce(0, +) >= 2 }
                try await CollectorHarness.eventually("restored") { collector.stats.snapshot.totalConfirmed == 2 }
            }
            #expect((collector.stats.snapshot.alerts["watchdog.silence"] ?? 0) >= 3)
            #expect(collector.stats.snapshot.totalRecords == 0)
        }
    }

    /// The same tiers on a `ManualClock`: each fires exactly when the injected clock passes its threshold,
    /// however long the test waits for real (no test ever waits the thresholds out).
    @Test func tiersFollowTheInjectedClock() async throws {
        try await Self.withSilentSession { bus, configuration in
            var configuration = configuration
            configuration.watchdog = .init(warn: .seconds(60), resubscribe: .seconds(120), reconnect: .seconds(180))
            configuration.tickInterval = .seconds(1)
            configuration.marketOpen = { _ in true }
            let clock = ManualClock()
            let collector = Collector(
                configuration: configuration, bus: bus, credential: CredentialSource.tokens(try CollectorHarness.tokens()), clock: clock,
                logger: CollectorHarness.logger
            )
            let silence: @Sendable () -> Int = { collector.stats.snapshot.alerts["watchdog.silence"] ?? 0 }
            let settled: @Sendable () -> Bool = { collector.sessionSubscriptions.values.allSatisfy { $0.pending.isEmpty } }
            let registered: @Sendable () -> Int = { collector.sessionSubscriptions.values.reduce(0) { $0 + $1.confirmed.count } }
            /// Moves the clock once the session's timer is asleep on it, then waits until it sleeps again
            /// (the evaluation at the new instant is done).
            @Sendable func advance(_ seconds: Double) async throws {
                try await CollectorHarness.eventually("timer asleep") { clock.sleeperCount == 1 }
                clock.advance(by: .seconds(seconds))
                try await CollectorHarness.eventually("timer asleep again") { clock.sleeperCount == 1 && settled() }
            }
            let ticking = Mutex<Task<Void, Never>?>(nil)
            try await CollectorHarness.running(collector) {
                // The registrations go out on connect; the first tick's evaluation in market hours starts the
                // silence clock (and publishes the confirmed count).
                try await CollectorHarness.eventually("registered") { registered() == 2 }
                try await advance(1)
                #expect(collector.stats.snapshot.totalConfirmed == 2)
                try await advance(59)
                try await Task.sleep(for: .milliseconds(300))
                #expect(silence() == 0, "59 s of silence on the clock: below the warn tier")
                try await advance(1)
                #expect(silence() == 1, "warn at 60 s")
                try await advance(59)
                #expect(silence() == 1)
                try await advance(1)
                #expect(silence() == 2, "resubscribe at 120 s")
                try await advance(1)  // the registrations were sent again; OPSP0002 confirms them
                #expect(registered() == 2)
                #expect(collector.stats.snapshot.connections.values.reduce(0, +) == 1)
                try await advance(58)
                #expect(silence() == 2)
                try await advance(1)
                #expect(silence() == 3, "reconnect at 180 s")
                // The reconnect waits its backoff on the same clock, and the new connection's ticks restore the registrations.
                let restored: @Sendable () -> Bool = {
                    collector.stats.snapshot.connections.values.reduce(0, +) == 2 && collector.stats.snapshot.totalConfirmed == 2
                }
                for _ in 0..<200 where !restored() {
                    try await CollectorHarness.eventually("a sleeper") { clock.sleeperCount >= 1 }
                    clock.advance(by: .milliseconds(500))
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(restored())
                // Let time run for the graceful stop (unsubscribe acks, linger).
                ticking.withLock { $0 = Task { while !Task.isCancelled { clock.advance(by: .milliseconds(50)); try? await Task.sleep(for: .milliseconds(5)) } } }
            }
            ticking.withLock { $0?.cancel() }
            #expect(silence() == 3)
            #expect(collector.stats.snapshot.totalRecords == 0)
        }
    }

    /// A mock whose KIS session connects and acknowledges but never sends data, a journal bus, and a collector
    /// configuration wanting ticks and books of 005930 on one account.
    static func withSilentSession(_ body: @escaping @Sendable (JournalEventBus, CollectorConfiguration) async throws -> Void) async throws {
        var faults = FaultProfile()
        faults.stallSeconds = 3_600
        try await CollectorHarness.withMock(CollectorHarness.mockConfiguration { $0.faults = faults }) { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            var configuration = CollectorHarness.configuration(base: base, accounts: Array(CollectorHarness.accounts(broker, .kis, base: base).prefix(1)))
            configuration.want(.kis, channels: [.ticker, .orderbook], symbols: ["005930"])
            try await body(bus, configuration)
        }
    }
}
