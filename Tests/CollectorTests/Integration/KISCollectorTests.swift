import BrokerClients
import BrokerCore
@testable import Collector
import Foundation
import HubServer
import MockBroker
import Realtime
import Testing

/// The collector against the in-process mock KIS WebSocket, publishing into a real journal bus.
@Suite("Collector: KIS end to end", .timeLimit(.minutes(5)), .serialized)
struct KISCollectorTests {
    @Test func ticksAndOrderBooksReachTheBusOneForOne() async throws {
        try await CollectorHarness.withMock { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            var configuration = CollectorHarness.configuration(base: base, accounts: CollectorHarness.accounts(broker, .kis, base: base))
            configuration.want(.kis, channels: [.ticker, .orderbook], symbols: ["005930", "000660", "035420"])
            let tokens = try CollectorHarness.tokens()
            let collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(tokens), logger: CollectorHarness.logger)
            try await CollectorHarness.running(collector) {
                try await CollectorHarness.eventually("records") { collector.stats.snapshot.totalRecords >= 100 }
            }
            let stats = collector.stats.snapshot
            let sent = broker.stats.snapshot(.kis).recordsSent
            let published = try await CollectorHarness.published(bus, provider: .kis)
            #expect(stats.totalConfirmed == 0) // unsubscribed on shutdown
            #expect(broker.stats.snapshot(.kis).wsSubscriptions == 0)
            #expect((published[.ticker] ?? 0) > 0 && (published[.orderbook] ?? 0) > 0)
            #expect((published[.ticker] ?? 0) + (published[.orderbook] ?? 0) == Int64(sent))
            #expect(stats.totalRecords == sent)
            #expect(stats.malformed == 0 && stats.fragmented == 0)
            #expect(stats.published == stats.totalRecords + stats.alerts.values.reduce(0, +))
        }
    }

    @Test func brokerCapIsAlertedAndStopsAdding() async throws {
        // The broker's cap is 3 per session while the collector believes 41: the 4th and 5th are refused.
        try await CollectorHarness.withMock(CollectorHarness.mockConfiguration { $0.kisSubscriptionCap = 3 }) { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            var configuration = CollectorHarness.configuration(base: base, accounts: Array(CollectorHarness.accounts(broker, .kis, base: base).prefix(1)))
            configuration.want(.kis, channels: [.ticker], symbols: ["005930", "000660", "035420", "005380", "051910"])
            let collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(try CollectorHarness.tokens()), logger: CollectorHarness.logger)
            try await CollectorHarness.running(collector) {
                try await CollectorHarness.eventually("cap alert") { (collector.stats.snapshot.alerts["subscription.cap"] ?? 0) >= 2 }
                let session = try #require(collector.sessionSubscriptions.values.first)
                #expect(session.confirmed.count == 3)
                #expect(session.capReached)
                #expect(session.uncovered.count == 2)
                #expect(collector.stats.snapshot.alerts["subscription.refused"] == nil)
            }
            #expect(broker.stats.snapshot(.kis).errors["OPSP0008"] == 2)
            let alerts = try await bus.publishedCounts().filter { $0.key.channel == .system }
            #expect(alerts[LedgerKey(provider: "kis", channel: .system, symbol: "subscription.cap")] == 2)
        }
    }

    /// A capacity above what the broker takes in one session is lowered to it (KIS 41, Kiwoom 100 a `REG`): the
    /// sessions never ask for registrations the broker would refuse.
    @Test func aCapacityAboveTheBrokersIsLowered() async throws {
        try await CollectorHarness.withMock { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            let accounts = CollectorHarness.accounts(broker, .kis, base: base) + CollectorHarness.accounts(broker, .kiwoom, base: base)
            var configuration = CollectorHarness.configuration(base: base, accounts: accounts)
            configuration.capacity = [.kis: 500, .kiwoom: 500]
            let symbols = broker.market.universe.symbols.prefix(250).map(\.code)
            configuration.want(.kis, channels: [.ticker], symbols: Array(symbols.prefix(60)))
            configuration.want(.kiwoom, channels: [.ticker], symbols: symbols)
            let collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(try CollectorHarness.tokens()), logger: CollectorHarness.logger)
            let sessions = collector.sessionSubscriptions
            let kis = sessions.filter { $0.key.hasPrefix("kis-") }.values.map(\.desired.count).sorted()
            let kiwoom = sessions.filter { $0.key.hasPrefix("kiwoom-") }.values.map(\.desired.count).sorted()
            #expect(kis == [19, 41], "KIS sessions: \(kis)")
            #expect(kiwoom == [50, 100, 100], "Kiwoom sessions: \(kiwoom)")
        }
    }

    @Test func notEnoughAccountsRaisesCapAlertForUncoveredSymbols() async throws {
        try await CollectorHarness.withMock { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            var configuration = CollectorHarness.configuration(base: base, accounts: Array(CollectorHarness.accounts(broker, .kis, base: base).prefix(1)))
            configuration.capacity[.kis] = 2
            configuration.want(.kis, channels: [.ticker], symbols: ["005930", "000660", "035420"])
            let collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(try CollectorHarness.tokens()), logger: CollectorHarness.logger)
            #expect(collector.uncovered[.kis] == [SubscriptionKey(.ticker, "035420")])
            try await CollectorHarness.running(collector) {
                try await CollectorHarness.eventually("confirmed") { collector.stats.snapshot.totalConfirmed == 2 }
            }
            #expect(collector.stats.snapshot.alerts["subscription.cap"] == 1)
        }
    }

    @Test func pingPongIsAnsweredAndTheSessionSurvives() async throws {
        try await CollectorHarness.withMock(CollectorHarness.mockConfiguration { $0.pingInterval = .milliseconds(300) }) { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            var configuration = CollectorHarness.configuration(base: base, accounts: Array(CollectorHarness.accounts(broker, .kis, base: base).prefix(1)))
            configuration.want(.kis, channels: [.ticker], symbols: ["005930"])
            let collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(try CollectorHarness.tokens()), logger: CollectorHarness.logger)
            try await CollectorHarness.running(collector) {
                try await CollectorHarness.eventually("confirmed") { collector.stats.snapshot.totalConfirmed == 1 }
                try await Task.sleep(for: .milliseconds(1_600)) // five ping intervals
            }
            #expect(broker.stats.snapshot(.kis).errors["pingpong_unanswered"] == nil)
            #expect(broker.stats.snapshot(.kis).wsSessionsTotal == 1)
            #expect(collector.stats.snapshot.connections.values.reduce(0, +) == 1)
        }
    }

    @Test func disconnectReconnectsAndRestoresSubscriptions() async throws {
        try await CollectorHarness.withMock { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            var configuration = CollectorHarness.configuration(base: base, accounts: Array(CollectorHarness.accounts(broker, .kis, base: base).prefix(1)))
            configuration.want(.kis, channels: [.ticker, .orderbook], symbols: ["005930", "000660"])
            let collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(try CollectorHarness.tokens()), logger: CollectorHarness.logger)
            try await CollectorHarness.running(collector) {
                try await CollectorHarness.eventually("confirmed") { collector.stats.snapshot.totalConfirmed == 4 }
                var faults = FaultProfile()
                faults.disconnectAfterSeconds = 0.2
                broker.faults = faults
                try await CollectorHarness.eventually("reconnect") { collector.stats.snapshot.connections.values.reduce(0, +) >= 2 }
                broker.faults = .none
                let before = collector.stats.snapshot.totalRecords
                try await CollectorHarness.eventually("restored") {
                    let snapshot = collector.stats.snapshot
                    return snapshot.totalConfirmed == 4 && snapshot.totalRecords > before
                }
                #expect(broker.stats.snapshot(.kis).wsSubscriptions == 4)
            }
            let stats = collector.stats.snapshot
            #expect((stats.reconnects[.kis] ?? 0) >= 1)
            #expect((stats.gaps[.kis] ?? 0) >= 1)
            #expect((stats.alerts["session.gap"] ?? 0) >= 1)
        }
    }

    @Test func malformedAndFragmentedFramesAreCountedAndKeptRaw() async throws {
        try await CollectorHarness.withMock { broker, base in
            let (bus, directory) = try CollectorHarness.journal()
            let rawLog = RawFrameLogger(configuration: .init(directory: URL(fileURLWithPath: directory).appendingPathComponent("raw")), logger: CollectorHarness.logger, diskUsage: { _ in 0 })
            var configuration = CollectorHarness.configuration(base: base, accounts: Array(CollectorHarness.accounts(broker, .kis, base: base).prefix(1)))
            configuration.want(.kis, channels: [.ticker], symbols: ["005930", "000660", "035420"])
            let collector = Collector(configuration: configuration, bus: bus, rawLog: rawLog, credential: CredentialSource.tokens(try CollectorHarness.tokens()), logger: CollectorHarness.logger)
            var faults = FaultProfile()
            faults.malformedFrameRate = 0.2
            faults.fragmentedFrameRate = 0.2
            broker.faults = faults
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await rawLog.run() }
                try await CollectorHarness.running(collector) {
                    try await CollectorHarness.eventually("faulty frames") {
                        let snapshot = collector.stats.snapshot
                        return snapshot.malformed >= 2 && snapshot.fragmented >= 2
                    }
                }
                rawLog.finish()
                try await group.waitForAll()
            }
            let stats = collector.stats.snapshot
            let injected = broker.stats.snapshot(.kis).faultsInjected
            #expect(stats.fragmented <= injected["fragmented_frame"] ?? 0)
            #expect(stats.malformed >= 2)
            #expect(stats.alerts["parser.failure"] == 1, "one parser.failure alert a minute, however many frames")
            #expect(try await CollectorHarness.published(bus, provider: .kis)[.system] ?? 0 >= 1, "the alert is on the system channel")
            #expect(rawLog.writtenFrames == stats.rawFrames)
            #expect(rawLog.writtenFrames >= stats.malformed + 2 * stats.fragmented)
            #expect(stats.totalRecords < broker.stats.snapshot(.kis).recordsSent)
        }
    }
}
