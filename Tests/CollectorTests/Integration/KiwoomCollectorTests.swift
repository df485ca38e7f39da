import BrokerClients
import BrokerCore
@testable import Collector
import Foundation
import HubServer
import MockBroker
import Realtime
import Synchronization
import Testing

final class Flag: Sendable {
    private let state = Mutex(false)
    var value: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}

/// The collector against the in-process mock Kiwoom WebSocket, publishing into a real journal bus.
@Suite("Collector: Kiwoom end to end", .timeLimit(.minutes(5)), .serialized)
struct KiwoomCollectorTests {
    @Test func loginRegisterTicksBooksAndPing() async throws {
        // A PING a second: a 300 ms echo deadline was missed on a loaded machine (R10002, a second session).
        try await CollectorHarness.withMock(CollectorHarness.mockConfiguration { $0.pingInterval = .seconds(1) }) { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            var configuration = CollectorHarness.configuration(base: base, accounts: Array(CollectorHarness.accounts(broker, .kiwoom, base: base).prefix(1)))
            configuration.want(.kiwoom, channels: [.ticker, .orderbook], symbols: ["005930", "000660"])
            let collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(try CollectorHarness.tokens()), logger: CollectorHarness.logger)
            try await CollectorHarness.running(collector) {
                try await CollectorHarness.eventually("records") { collector.stats.snapshot.totalRecords >= 100 }
                try await Task.sleep(for: .milliseconds(3_200)) // several PINGs
            }
            let mock = broker.stats.snapshot(.kiwoom)
            let published = try await CollectorHarness.published(bus, provider: .kiwoom)
            #expect(mock.errors["R10002"] == nil)
            #expect(mock.wsSessionsTotal == 1)
            #expect(mock.wsSubscriptions == 0) // removed on shutdown
            #expect((published[.ticker] ?? 0) > 0 && (published[.orderbook] ?? 0) > 0)
            #expect((published[.ticker] ?? 0) + (published[.orderbook] ?? 0) == Int64(mock.recordsSent))
        }
    }

    /// A second collector logging in with the same app key replaces the first (`R10001`): the first raises
    /// `session.replaced` and stops that session instead of logging in again (which would evict the other
    /// one in a loop).
    @Test func replacedSessionIsAlertedAndNotReconnected() async throws {
        try await CollectorHarness.withMock { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            var configuration = CollectorHarness.configuration(base: base, accounts: Array(CollectorHarness.accounts(broker, .kiwoom, base: base).prefix(1)))
            configuration.want(.kiwoom, channels: [.ticker], symbols: ["005930"])
            let tokens = try CollectorHarness.tokens()
            let first = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(tokens), logger: CollectorHarness.logger)
            let second = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(tokens), logger: CollectorHarness.logger)
            let firstEnded = Flag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await first.run()
                    firstEnded.set()
                }
                try await CollectorHarness.eventually("first confirmed") { first.stats.snapshot.totalConfirmed == 1 }
                try await CollectorHarness.running(second) {
                    try await CollectorHarness.eventually("replaced") { !first.stoppedSessions.isEmpty }
                    // The first collector's only session stopped, so its run returns on its own.
                    try await CollectorHarness.eventually("first collector ended") { firstEnded.value }
                    try await Task.sleep(for: .milliseconds(500))
                    #expect(second.stats.snapshot.totalConfirmed == 1)
                }
                try await group.waitForAll()
            }
            #expect(first.stats.snapshot.alerts["session.replaced"] == 1)
            #expect(first.stats.snapshot.connections.values.reduce(0, +) == 1)
            #expect(second.stats.snapshot.connections.values.reduce(0, +) == 1)
            #expect(broker.stats.snapshot(.kiwoom).wsSessionsTotal == 2)
            let alerts = try await bus.publishedCounts()
            #expect(alerts[LedgerKey(provider: "kiwoom", channel: .system, symbol: "session.replaced")] == 1)
        }
    }
}
