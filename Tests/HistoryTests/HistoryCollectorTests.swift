import Archiver
import BrokerCore
import BrokerHubTesting
import Foundation
import History
import HubServer
import Logging
import MockBroker
import ServiceLifecycle
import Testing

/// `HistoryCollector` through a hub in this process (`HubHistorySource`, the `Hub` front door) on the mock: every
/// candle the hub serves is stored once with its checkpoint, a second run of the same plan only updates, and the mock
/// sees no rate-limit violation and one token.
@Suite("History through an in-process hub", .timeLimit(.minutes(3)))
struct HistoryCollectorTests {
    static var quiet: Logger {
        var logger = Logger(label: "test.history")
        logger.logLevel = .critical
        return logger
    }

    @Test func storesWhatTheHubServesOnceWithCheckpoints() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-history-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await MockBrokerHarness.run(MockBrokerHarness.configuration(seed: 21)) { broker, base in
            var configuration = HubConfiguration()
            configuration.inMemory = true
            configuration.port = 0
            configuration.accounts = [try #require(MockBrokerHarness.accounts(broker, .kis, base: base).first)]
            let application = try HubApplication(configuration: configuration, logger: Self.quiet)
            let group = ServiceGroup(configuration: .init(services: application.services(), logger: Self.quiet))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let symbols = Array(broker.market.universe.symbols.prefix(3).map(\.code))
                // The harness's market starts on 2025-09-08: the month before it has history.
                let to = KRXCalendar().previousTradingDay(before: KSTDate("20250908")!)
                let from = to.adding(days: -30)
                let daily = CandleInterval("1d")!
                let plan = try HistoryPlan.make(provider: .kis, symbols: symbols, intervals: [daily], from: from, to: to, today: KSTDate(Date()))
                let sink = try SQLiteArchiveSink(path: directory.appendingPathComponent("archive.sqlite").path)
                let source = HubHistorySource(hub: application.hub)
                let first = HistoryCollector(plan: plan, source: source, store: sink, logger: Self.quiet)
                #expect(await first.run() == .finished)
                var served = 0
                for symbol in symbols {
                    let candles = try await source.candles(provider: .kis, symbol: symbol, interval: daily, from: from, to: to)
                    served += candles.count
                    let stored = try await sink.candles(provider: .kis, symbol: symbol, interval: daily, from: from.start, to: to.adding(days: 1).start)
                    #expect(stored.map(\.close) == candles.map(\.close) && stored.map(\.start) == candles.map(\.start), "\(symbol)")
                    #expect(try await sink.candleCheckpoint(provider: .kis, symbol: symbol, interval: daily) == to)
                }
                #expect(first.progress.candlesInserted == served && served >= symbols.count * 15, "\(first.progress)")
                // The same plan again (as a run without checkpoints would): nothing new, every candle updated in place.
                let again = HistoryCollector(plan: plan, source: source, store: sink, logger: Self.quiet)
                #expect(await again.run() == .finished)
                #expect(again.progress.candlesInserted == 0 && again.progress.candlesUpdated == served, "\(again.progress), served \(served)")
                #expect(try await sink.rowCount(.candles) == served)
                let stats = broker.stats.snapshot(.kis)
                #expect(stats.rateLimitViolations == 0 && stats.tokensIssued == 1)
                try await sink.close()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
