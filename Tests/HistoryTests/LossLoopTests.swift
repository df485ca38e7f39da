import Archiver
import BrokerCore
import BrokerHubTesting
import Foundation
import History
import HubServer
import Logging
import MockBroker
import Realtime
import ServiceLifecycle
import Testing

/// Verification and backfill, pure (`MinuteVerification`, `BackfillPlan`) and through a hub in this process on the mock
/// with Kiwoom, whose tick chart (ka10079) still has the whole session: trades cut out of the archive are recovered one
/// for one, the minutes become complete again, and a second backfill stores nothing.
@Suite("Verification and backfill", .timeLimit(.minutes(3)))
struct LossLoopTests {
    static let day = KSTDate(year: 2025, month: 9, day: 8)!

    static func at(_ hour: Int, _ minute: Int, _ second: Int = 0) -> Date { KST.instant(day, hour: hour, minute: minute, second: second) }

    static func trade(_ time: Date, _ price: Int64, _ volume: Int64, _ source: SourceType = .realtime) -> StoredTrade {
        StoredTrade(time: time, price: price, volume: volume, sourceType: source)
    }

    static func candle(_ hour: Int, _ minute: Int, _ o: Int64, _ h: Int64, _ l: Int64, _ c: Int64, _ v: Int64, _ source: SourceType = .restCandle) -> Candle {
        Candle(provider: .kis, symbol: "005930", interval: .oneMinute, start: at(hour, minute), open: o, high: h, low: l, close: c, volume: v, sourceType: source)
    }

    @Test func namesMissingShortAndDifferentMinutesAndLeavesTheFormingOneOut() {
        let broker = [
            Self.candle(10, 0, 100, 110, 95, 105, 30), Self.candle(10, 1, 105, 105, 105, 105, 0), Self.candle(10, 2, 105, 107, 104, 106, 20),
            Self.candle(10, 3, 106, 108, 106, 108, 10), Self.candle(10, 4, 108, 109, 108, 109, 5), Self.candle(10, 5, 109, 109, 109, 109, 7),
        ]
        let trades = [
            Self.trade(Self.at(10, 0, 1), 100, 10), Self.trade(Self.at(10, 0, 20), 110, 5), Self.trade(Self.at(10, 0, 40), 95, 5),
            Self.trade(Self.at(10, 0, 59), 105, 10),
            // 10:01 had no trades (complete), 10:02 none stored (missing), 10:03 only part (short), 10:04 a wrong price.
            Self.trade(Self.at(10, 3, 5), 106, 4), Self.trade(Self.at(10, 4, 1), 108, 2), Self.trade(Self.at(10, 4, 2), 110, 3),
        ]
        let result = MinuteVerification.verify(
            symbol: "005930", day: Self.day, window: .session, broker: broker, trades: trades, stored: []
        )
        #expect(result.counts.checked == 5, "10:05, the broker's newest minute, may still be forming")
        #expect(result.counts.complete == 2 && result.counts.missing == 1 && result.counts.short == 1 && result.counts.differ == 1)
        #expect(result.findings.map(\.minute) == ["10:02", "10:03", "10:04"])
        #expect(result.findings.map(\.status) == [.missing, .short, .differ])
        #expect(result.counts.missingVolume == 20 + 6)
        // A tolerance of 1 KRW forgives 10:04's high and close (110 against 109).
        let tolerant = MinuteVerification.verify(
            symbol: "005930", day: Self.day, window: .session, broker: broker, trades: trades, stored: [], tolerance: .init(price: 1)
        )
        #expect(tolerant.counts.differ == 0 && tolerant.counts.complete == 3)
        // A backfilled candle equal to the broker's closes a minute; one that differs does not.
        let stored = [Self.candle(10, 2, 105, 107, 104, 106, 20, .backfill), Self.candle(10, 3, 106, 108, 106, 108, 11, .backfill)]
        let closed = MinuteVerification.verify(symbol: "005930", day: Self.day, window: .session, broker: broker, trades: trades, stored: stored)
        #expect(closed.findings.map(\.status) == [.backfilled, .short, .differ])
        #expect(closed.counts.backfilled == 1 && closed.counts.unrecoveredVolume == 20)
        // The session's last minute is final once it is the newest.
        let close = [Self.candle(15, 29, 100, 100, 100, 100, 1)]
        let final = MinuteVerification.verify(symbol: "005930", day: Self.day, window: .session, broker: close, trades: [], stored: [])
        #expect(final.counts.checked == 1 && final.counts.missing == 1)
    }

    @Test func recoversOnlyTradesNotStoredAndTheSameIdsTwice() {
        let tick = { (time: Date, price: Int64, volume: Int64) in
            Tick(provider: .kiwoom, symbol: "005930", time: time, price: price, volume: volume, change: 0, changeRate: .zero, sourceType: .restCandle)
        }
        let fetched = [
            tick(Self.at(10, 2, 5), 100, 10), tick(Self.at(10, 2, 5), 100, 10), tick(Self.at(10, 2, 5), 100, 10),
            tick(Self.at(10, 2, 30), 101, 3), tick(Self.at(10, 3, 0), 102, 1), tick(Self.at(10, 9, 0), 103, 1),
        ]
        let stored = [Self.trade(Self.at(10, 2, 5), 100, 10), Self.trade(Self.at(10, 2, 5), 100, 10)]
        let minutes: Set = [10 * 3600 + 2 * 60, 10 * 3600 + 3 * 60]
        let events = BackfillPlan.trades(fetched, stored: stored, minutes: minutes, day: Self.day, provider: .kiwoom, symbol: "005930", now: Date())
        // The third 10-share trade at 10:02:05, the 10:02:30 and 10:03:00 trades; not 10:09 (outside the minutes).
        #expect(events.count == 3)
        #expect(events.map(\.id) == [
            "backfill-kiwoom-005930-20250908100205-100-10-2", "backfill-kiwoom-005930-20250908100230-101-3-0",
            "backfill-kiwoom-005930-20250908100300-102-1-0",
        ])
        #expect(events.allSatisfy { if case .tick(let t) = $0.payload { t.sourceType == .backfill } else { false } })
        #expect(events.allSatisfy { $0.archiveLedgerKey == LedgerKey(provider: "kiwoom", channel: .ticker, symbol: "005930").backfill })
        // The same fetch again, with those stored: nothing.
        let after = stored + events.map { event -> StoredTrade in
            guard case .tick(let t) = event.payload else { fatalError() }
            return StoredTrade(time: t.time, price: t.price, volume: t.volume, sourceType: .backfill)
        }
        #expect(BackfillPlan.trades(fetched, stored: after, minutes: minutes, day: Self.day, provider: .kiwoom, symbol: "005930", now: Date()).isEmpty)
    }

    @Test func theLedgerCountsBackfilledTradesApart() {
        let key = LedgerKey(provider: "kis", channel: .ticker, symbol: "005930")
        let report = LedgerReport(published: [key: 10], stored: [key: 10, key.backfill: 4])
        #expect(report.rows.count == 1 && report.rows[0].stored == 10 && report.rows[0].backfilled == 4)
        #expect(report.isComplete && report.totalBackfilled == 4)
        #expect(report.table().contains("backfilled") && report.json().contains(#""backfilled":4"#))
    }

    @Test func kiwoomTradesCutFromTheArchiveAreRecoveredOneForOne() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-lossloop-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = MockBrokerHarness.configuration(seed: 23) { $0.marketSpeed = 120 }
        try await MockBrokerHarness.run(configuration) { broker, base in
            var hubConfiguration = HubConfiguration()
            hubConfiguration.inMemory = true
            hubConfiguration.port = 0
            hubConfiguration.accounts = [try #require(MockBrokerHarness.accounts(broker, .kiwoom, base: base).first)]
            let quiet = HistoryCollectorTests.quiet
            let application = try HubApplication(configuration: hubConfiguration, logger: quiet)
            let group = ServiceGroup(configuration: .init(services: application.services(), logger: quiet))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // Let the market reach 10:10 (120× from 10:00), then archive its trades through 10:08 but for a cut.
                try await Task.sleep(for: .seconds(5.5))
                let sink = try SQLiteArchiveSink(path: directory.appendingPathComponent("archive.sqlite").path)
                let symbols = Array(broker.market.universe.symbols.prefix(2))
                let cut = (10 * 3600 + 3 * 60 + 20)..<(10 * 3600 + 5 * 60 + 40)
                var cutOut = 0
                for symbol in symbols {
                    let session = try #require(broker.market.session(symbol, on: Self.day))
                    var events: [RealtimeEvent] = []
                    for index in 0..<session.tradeCount(through: 10 * 3600 + 8 * 60 - 1) {
                        let second = Int(session.seconds[index])
                        if cut.contains(second) { cutOut += 1; continue }
                        let tick = Tick(
                            provider: .kiwoom, symbol: symbol.code, time: KST.instant(Self.day, hour: 0, minute: 0, second: second),
                            price: session.prices[index], volume: Int64(session.volumes[index]), change: 0, changeRate: .zero,
                            cumVolume: session.cumulativeVolume[index], sourceType: .realtime
                        )
                        events.append(RealtimeEvent(id: "rt-\(symbol.code)-\(index)", channel: .ticker, provider: .kiwoom, symbol: symbol.code, receivedAt: Date(), payload: .tick(tick)))
                    }
                    try await sink.write(events)
                }
                #expect(cutOut > 0)
                let source = HubHistorySource(hub: application.hub)
                let options = Verifier.Options(
                    provider: .kiwoom, day: Self.day, symbols: symbols.map(\.code), from: .at(10 * 3600 + 60), to: .at(10 * 3600 + 8 * 60)
                )
                let first = try await Verifier(source: source, store: sink, logger: quiet).run(options)
                #expect(!first.isClean)
                #expect(Set(first.symbols.flatMap { $0.findings.map(\.minute) }).isSubset(of: ["10:03", "10:04", "10:05"]), "\(first.table())")
                let backfill = try await Backfiller(source: source, store: sink, logger: quiet).run(first)
                #expect(backfill.tradesRecovered == cutOut, "every trade cut out comes back: \(backfill)")
                let second = try await Verifier(source: source, store: sink, logger: quiet).run(options)
                #expect(second.isClean && second.totals.complete == second.totals.checked && second.totals.backfilled == 0, "\(second.table())")
                #expect(second.totals.backfilledTrades == cutOut)
                let again = try await Backfiller(source: source, store: sink, logger: quiet).run(first)
                #expect(again.tradesRecovered == 0 && again.candlesInserted == 0, "\(again)")
                let ledger = LedgerReport(published: [:], stored: try await sink.storedCounts())
                #expect(ledger.totalBackfilled == Int64(cutOut))
                let stats = broker.stats.snapshot(.kiwoom)
                #expect(stats.rateLimitViolations == 0 && stats.tokensIssued == 1)
                try await sink.close()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
