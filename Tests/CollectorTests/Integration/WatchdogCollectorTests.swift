import BrokerClients
import BrokerCore
@testable import Collector
import Foundation
import HubServer
import MockBroker
import Realtime
import Testing

/// A session that stays connected but goes silent during market hours: warn, resubscribe (answered
/// `OPSP0002`, which counts as confirmed), then reconnect.
@Suite("Collector: watchdog end to end", .timeLimit(.minutes(5)), .serialized)
struct WatchdogCollectorTests {
    @Test func silentSessionIsResubscribedThenReconnected() async throws {
        var faults = FaultProfile()
        faults.stallSeconds = 3_600
        try await CollectorHarness.withMock(CollectorHarness.mockConfiguration { $0.faults = faults }) { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            var configuration = CollectorHarness.configuration(base: base, accounts: Array(CollectorHarness.accounts(broker, .kis, base: base).prefix(1)))
            configuration.watchdog = .init(warn: .milliseconds(300), resubscribe: .milliseconds(600), reconnect: .milliseconds(1_200))
            configuration.want(.kis, channels: [.ticker, .orderbook], symbols: ["005930"])
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
}
