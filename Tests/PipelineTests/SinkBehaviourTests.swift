import BrokerHubTesting
import Archiver
import BrokerCore
import Foundation
import Realtime
import Testing

/// The same behaviour for every sink: exactly-once rows under redelivery, counts only of inserted rows,
/// everything survives reopening.
enum SinkBehaviour {
    static func writesRowsAndCounts(_ fixture: SinkTestFixture) async throws {
        let sink = try fixture.open()
        try await sink.prepare()
        let events = BusEventSamples.mixed(count: 300, run: "w")
        let summary = try await sink.write(events)
        #expect(summary.total == 300)
        #expect(summary.alerts == 30)
        #expect(summary.orderBooks == 60)
        #expect(try await sink.storedCounts() == expectedCounts(events))
        #expect(try await sink.rowCount(.ticks) == 210)
        #expect(try await sink.rowCount(.orderBooks) == 60)
        #expect(try await sink.rowCount(.systemAlerts) == 30)
        #expect(try await sink.write([]).total == 0)
        try await sink.close()
    }

    static func ignoresDuplicatesWithoutCounting(_ fixture: SinkTestFixture) async throws {
        let sink = try fixture.open()
        try await sink.prepare()
        let first = BusEventSamples.mixed(count: 100, run: "d")
        try await sink.write(first)
        // Redelivery of the whole batch, an overlapping batch and a duplicate inside one batch.
        #expect(try await sink.write(first).total == 0)
        let overlapping = Array(first[50...]) + BusEventSamples.mixed(count: 150, run: "d")[100...]
        #expect(try await sink.write(overlapping).total == 50)
        let extra = BusEventSamples.tick(id: "d-extra", symbol: "005930")
        #expect(try await sink.write([extra, extra, extra]).total == 1)
        let all = BusEventSamples.mixed(count: 150, run: "d") + [extra]
        #expect(try await sink.storedCounts() == expectedCounts(all))
        #expect(try await totalRows(sink) == 151)
        try await sink.close()
    }

    static func countsPerKey(_ fixture: SinkTestFixture) async throws {
        let sink = try fixture.open()
        try await sink.prepare()
        let events = (0..<7).map { BusEventSamples.tick(id: "k-a\($0)", provider: .kis, symbol: "005930") }
            + (0..<3).map { BusEventSamples.tick(id: "k-b\($0)", provider: .kiwoom, symbol: "005930") }
            + (0..<2).map { BusEventSamples.orderBook(id: "k-c\($0)", provider: .kis, symbol: "005930") }
            + [BusEventSamples.alert(id: "k-d", provider: .kiwoom)]
        try await sink.write(events)
        let counts = try await sink.storedCounts()
        #expect(counts[LedgerKey(provider: "kis", channel: .ticker, symbol: "005930")] == 7)
        #expect(counts[LedgerKey(provider: "kiwoom", channel: .ticker, symbol: "005930")] == 3)
        #expect(counts[LedgerKey(provider: "kis", channel: .orderbook, symbol: "005930")] == 2)
        #expect(counts[LedgerKey(provider: "kiwoom", channel: .system, symbol: "subscription.refused")] == 1)
        #expect(counts.count == 4)
        try await sink.close()
    }

    static func survivesReopen(_ fixture: SinkTestFixture) async throws {
        let events = BusEventSamples.mixed(count: 120, run: "r")
        do {
            let sink = try fixture.open()
            try await sink.prepare()
            try await sink.write(events)
            try await sink.close()
        }
        let reopened = try fixture.open()
        try await reopened.prepare()
        #expect(try await reopened.storedCounts() == expectedCounts(events))
        #expect(try await reopened.write(events).total == 0)
        #expect(try await totalRows(reopened) == 120)
        try await reopened.close()
    }

    /// Callers at once on a sink nobody has prepared yet — the archiver writing while the ledger monitor reads
    /// the counts, as in `brokerhub archive` — each get their answer (a read before the tables exist may fail
    /// with the sink's error; it must not take a write down with it, nor crash the process: two callers that
    /// both found no PostgreSQL connection each opened one, and the one dropped unclosed trapped).
    static func servesCallersAtOnce(_ fixture: SinkTestFixture) async throws {
        let sink = try fixture.open()
        let written = try await withThrowingTaskGroup(of: Int.self) { group in
            for round in 0..<8 {
                group.addTask { try await sink.write(BusEventSamples.mixed(count: 50, run: "c\(round)")).total }
                group.addTask {
                    _ = try? await sink.storedCounts()
                    return 0
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(written == 400)
        let all = (0..<8).flatMap { BusEventSamples.mixed(count: 50, run: "c\($0)") }
        #expect(try await sink.storedCounts() == expectedCounts(all))
        try await sink.close()
    }

    /// Events on two KST days (00:30 KST on consecutive days).
    /// KIS's 47th tick field is stored as it came; a tick without it stores NULL.
    static func storesTheMarketClass(_ fixture: SinkTestFixture) async throws {
        let sink = try fixture.open()
        try await sink.prepare()
        #expect(try await sink.write([BusEventSamples.tick(id: "m-1"), BusEventSamples.tick(id: "m-2", optionalsSet: false)]).ticks == 2)
        try await sink.close()
        let stored = try await fixture.storedMarketClasses()
        #expect(stored == ["m-1": "J", "m-2": nil])
    }

    /// An archive created before `market_class` existed gains the column when a sink prepares it, keeps working.
    static func addsTheMarketClassToAnOlderArchive(_ fixture: SinkTestFixture) async throws {
        try await fixture.createArchiveOfTheFirstRelease()
        let sink = try fixture.open()
        try await sink.prepare()
        #expect(try await sink.write([BusEventSamples.tick(id: "o-1"), BusEventSamples.orderBook(id: "o-2")]).total == 2)
        try await sink.close()
        #expect(try await fixture.storedMarketClasses() == ["o-1": "J"])
    }

    static func candle(_ minute: Int, close: Int64, volume: Int64, fetched: Double, source: SourceType = .restCandle, symbol: String = "005930") -> Candle {
        let start = Date(timeIntervalSince1970: 1_765_155_600 + Double(minute) * 60)  // 2025-12-08 10:00 KST + minute
        return Candle(
            provider: .kis, symbol: symbol, interval: CandleInterval("1m")!, start: start, open: 71_000, high: 71_500, low: 70_900,
            close: close, volume: volume, tradingValue: volume * 71_000, sourceType: source, receivedAt: start.addingTimeInterval(fetched)
        )
    }

    /// Candles are keyed by provider, symbol, interval and start: a re-fetch updates in place (a later fetch wins, an
    /// older one changes nothing), never duplicates; the checkpoint commits with them; reads come back oldest first.
    static func storesCandlesOnceWithTheLaterFetchWinning(_ fixture: SinkTestFixture) async throws {
        let sink = try fixture.open()
        let now = Date(timeIntervalSince1970: 1_765_160_000)
        let first = (0..<5).map { candle($0, close: 71_000 + Int64($0), volume: 100, fetched: 30) }
        let interval = CandleInterval("1m")!
        let checkpoint = CandleCheckpoint(provider: .kis, symbol: "005930", interval: interval, through: KSTDate("20251207")!)
        #expect(try await sink.candleCheckpoint(provider: .kis, symbol: "005930", interval: interval) == nil)
        #expect(try await sink.writeCandles(first, checkpoint: checkpoint, now: now) == CandleWriteSummary(inserted: 5))
        #expect(try await sink.candleCheckpoint(provider: .kis, symbol: "005930", interval: interval) == KSTDate("20251207"))
        // The still-forming last minute fetched again later: updated in place. The same rows again: updated, not doubled.
        let later = [candle(4, close: 71_900, volume: 180, fetched: 90, source: .backfill)]
        #expect(try await sink.writeCandles(later, checkpoint: nil, now: now) == CandleWriteSummary(updated: 1))
        // An older fetch of it (a slow page arriving late) changes nothing.
        #expect(try await sink.writeCandles([candle(4, close: 1, volume: 1, fetched: 10)], checkpoint: nil, now: now) == CandleWriteSummary(skipped: 1))
        let from = first[0].start, to = first[4].start.addingTimeInterval(60)
        let stored = try await sink.candles(provider: .kis, symbol: "005930", interval: interval, from: from, to: to)
        let rows = try await sink.rowCount(.candles)
        #expect(stored.count == 5 && rows == 5)
        #expect(stored.map(\.start) == first.map(\.start), "oldest first")
        #expect(stored[4].close == 71_900 && stored[4].volume == 180 && stored[4].sourceType == .backfill)
        #expect(stored[0] == first[0], "every field round-trips: \(stored[0]) vs \(first[0])")
        #expect(try await sink.candles(provider: .kis, symbol: "000660", interval: interval, from: from, to: to).isEmpty)
        #expect(try await sink.candles(provider: .kiwoom, symbol: "005930", interval: interval, from: from, to: to).isEmpty)
        #expect(try await sink.candles(provider: .kis, symbol: "005930", interval: CandleInterval("1d")!, from: from, to: to).isEmpty)
        // A candle with no receive time takes `now`; the checkpoint moves on.
        var bare = candle(5, close: 71_005, volume: 7, fetched: 0)
        bare.receivedAt = nil
        let next = CandleCheckpoint(provider: .kis, symbol: "005930", interval: interval, through: KSTDate("20251208")!)
        #expect(try await sink.writeCandles([bare], checkpoint: next, now: now) == CandleWriteSummary(inserted: 1))
        let reread = try await sink.candles(provider: .kis, symbol: "005930", interval: interval, from: from, to: to.addingTimeInterval(60))
        #expect(reread.last?.receivedAt == now)
        #expect(try await sink.candleCheckpoint(provider: .kis, symbol: "005930", interval: interval) == KSTDate("20251208"))
        try await sink.close()
        // Reopened: all of it is still there.
        let reopened = try fixture.open()
        #expect(try await reopened.rowCount(.candles) == 6)
        #expect(try await reopened.candleCheckpoint(provider: .kis, symbol: "005930", interval: interval) == KSTDate("20251208"))
        try await reopened.close()
    }

    /// Trades read back for verification: one provider and symbol in a time range, oldest first with equal seconds in
    /// accumulated-volume order (whatever order they were written in), realtime and backfilled alike; a backfilled trade
    /// counts in its own ledger row. Alerts read back by kind and time.
    static func readsTradesAndAlertsBack(_ fixture: SinkTestFixture) async throws {
        let sink = try fixture.open()
        let base = BusEventSamples.time
        func trade(_ id: String, second: Double, cum: Int64?, price: Int64, source: SourceType = .realtime, symbol: String = "005930", provider: Provider = .kis) -> RealtimeEvent {
            var event = BusEventSamples.tick(id: id, provider: provider, symbol: symbol, price: price)
            guard case .tick(var tick) = event.payload else { return event }
            tick.time = base.addingTimeInterval(second)
            tick.cumVolume = cum
            tick.sourceType = source
            event.payload = .tick(tick)
            return event
        }
        // Written out of order: the later trade of the same second first.
        try await sink.write([
            trade("r-2", second: 1, cum: 300, price: 3), trade("r-1", second: 1, cum: 200, price: 2), trade("r-0", second: 0, cum: 100, price: 1),
            trade("r-9", second: 5, cum: 900, price: 9), trade("o-1", second: 1, cum: 1, price: 7, symbol: "000660"),
            trade("k-1", second: 1, cum: 1, price: 8, provider: .kiwoom),
        ])
        try await sink.write([trade("b-1", second: 2, cum: nil, price: 4, source: .backfill)])
        let trades = try await sink.trades(provider: .kis, symbol: "005930", from: base, to: base.addingTimeInterval(5))
        #expect(trades.map(\.price) == [1, 2, 3, 4], "\(trades)")
        #expect(trades.map(\.sourceType) == [.realtime, .realtime, .realtime, .backfill])
        #expect(trades[0].volume == 17 && trades[0].cumVolume == 100 && trades[3].cumVolume == nil)
        #expect(try await sink.lastTradeTime(provider: .kis, symbol: "005930") == trades.last?.time.addingTimeInterval(3))
        #expect(try await sink.lastTradeTime(provider: .kis, symbol: "035420") == nil)
        let counts = try await sink.storedCounts()
        let key = LedgerKey(provider: "kis", channel: .ticker, symbol: "005930")
        #expect(counts[key] == 4 && counts[key.backfill] == 1, "\(counts)")
        try await sink.write([BusEventSamples.alert(id: "a-1")])
        var gap = BusEventSamples.alert(id: "a-2")
        if case .alert(var alert) = gap.payload {
            alert.kind = "session.gap"
            alert.message = "kis session cut for 20 s"
            gap.payload = .alert(alert)
            gap.symbol = alert.kind
        }
        try await sink.write([gap])
        let gaps = try await sink.alerts(kind: "session.gap", from: base.addingTimeInterval(-1), to: base.addingTimeInterval(1))
        #expect(gaps.count == 1 && gaps[0].message == "kis session cut for 20 s" && gaps[0].provider == .kis && gaps[0].symbol == "005930")
        #expect(try await sink.alerts(kind: "session.gap", from: base.addingTimeInterval(1), to: base.addingTimeInterval(2)).isEmpty)
        try await sink.close()
    }

    static func twoDayEvents() -> [RealtimeEvent] {
        let day1 = Date(timeIntervalSince1970: 1_763_652_600)  // 2025-11-21 00:30 KST
        return [day1, day1.addingTimeInterval(86_400)].enumerated().flatMap { index, time -> [RealtimeEvent] in
            var tick = BusEventSamples.tick(id: "p-t\(index)")
            if case .tick(var payload) = tick.payload { payload.time = time; tick.payload = .tick(payload) }
            var book = BusEventSamples.orderBook(id: "p-b\(index)")
            if case .orderBook(var payload) = book.payload { payload.time = time; book.payload = .orderBook(payload) }
            return [tick, book]
        }
    }
}

@Suite("SQLite archive sink", .timeLimit(.minutes(10)))
struct SQLiteSinkTests {
    @Test func writesRowsAndCounts() async throws { try await run(SinkBehaviour.writesRowsAndCounts) }
    @Test func ignoresDuplicatesWithoutCounting() async throws { try await run(SinkBehaviour.ignoresDuplicatesWithoutCounting) }
    @Test func countsPerKey() async throws { try await run(SinkBehaviour.countsPerKey) }
    @Test func survivesReopen() async throws { try await run(SinkBehaviour.survivesReopen) }
    @Test func storesTheMarketClass() async throws { try await run(SinkBehaviour.storesTheMarketClass) }
    @Test func addsTheMarketClassToAnOlderArchive() async throws { try await run(SinkBehaviour.addsTheMarketClassToAnOlderArchive) }
    @Test func servesCallersAtOnce() async throws { try await run(SinkBehaviour.servesCallersAtOnce) }
    @Test func storesCandlesOnceWithTheLaterFetchWinning() async throws { try await run(SinkBehaviour.storesCandlesOnceWithTheLaterFetchWinning) }
    @Test func readsTradesAndAlertsBack() async throws { try await run(SinkBehaviour.readsTradesAndAlertsBack) }

    @Test func storesEventsOnAnyDay() async throws {
        try await run { fixture in
            let sink = try fixture.open()
            try await sink.prepare()
            #expect(try await sink.write(SinkBehaviour.twoDayEvents()).total == 4)
            try await sink.close()
        }
    }

    private func run(_ body: (SinkTestFixture) async throws -> Void) async throws {
        let fixture = try SinkTestFixture(.sqlite)
        do {
            try await body(fixture)
        } catch {
            await fixture.cleanUp()
            throw error
        }
        await fixture.cleanUp()
    }
}

// Needs the PostgreSQL that scripts/test.sh starts (BROKERHUB_TEST_POSTGRES_URL); skipped without it.
@Suite("PostgreSQL archive sink", .timeLimit(.minutes(10)), .enabled(if: PipelineTestEnvironment.postgresURL != nil, "BROKERHUB_TEST_POSTGRES_URL not set"))
struct PostgresSinkTests {
    @Test(arguments: [SinkTestFixture.Kind.postgresCopy, .postgresUnnest])
    func writesRowsAndCounts(kind: SinkTestFixture.Kind) async throws { try await run(kind, SinkBehaviour.writesRowsAndCounts) }

    @Test(arguments: [SinkTestFixture.Kind.postgresCopy, .postgresUnnest])
    func ignoresDuplicatesWithoutCounting(kind: SinkTestFixture.Kind) async throws { try await run(kind, SinkBehaviour.ignoresDuplicatesWithoutCounting) }

    @Test(arguments: [SinkTestFixture.Kind.postgresCopy, .postgresUnnest])
    func countsPerKey(kind: SinkTestFixture.Kind) async throws { try await run(kind, SinkBehaviour.countsPerKey) }

    @Test(arguments: [SinkTestFixture.Kind.postgresCopy, .postgresUnnest])
    func survivesReopen(kind: SinkTestFixture.Kind) async throws { try await run(kind, SinkBehaviour.survivesReopen) }

    @Test(arguments: [SinkTestFixture.Kind.postgresCopy, .postgresUnnest])
    func storesTheMarketClass(kind: SinkTestFixture.Kind) async throws { try await run(kind, SinkBehaviour.storesTheMarketClass) }

    @Test(arguments: [SinkTestFixture.Kind.postgresCopy, .postgresUnnest])
    func addsTheMarketClassToAnOlderArchive(kind: SinkTestFixture.Kind) async throws {
        try await run(kind, SinkBehaviour.addsTheMarketClassToAnOlderArchive)
    }

    @Test(arguments: [SinkTestFixture.Kind.postgresCopy, .postgresUnnest])
    func servesCallersAtOnce(kind: SinkTestFixture.Kind) async throws { try await run(kind, SinkBehaviour.servesCallersAtOnce) }

    @Test func storesCandlesOnceWithTheLaterFetchWinning() async throws {
        try await run(.postgresCopy, SinkBehaviour.storesCandlesOnceWithTheLaterFetchWinning)
    }

    @Test(arguments: [SinkTestFixture.Kind.postgresCopy, .postgresUnnest])
    func readsTradesAndAlertsBack(kind: SinkTestFixture.Kind) async throws { try await run(kind, SinkBehaviour.readsTradesAndAlertsBack) }

    @Test(arguments: [SinkTestFixture.Kind.postgresCopy, .postgresUnnest])
    func createsOnePartitionPerKSTDay(kind: SinkTestFixture.Kind) async throws {
        try await run(kind) { fixture in
            let sink = try #require(try fixture.open() as? PostgresArchiveSink)
            try await sink.prepare()
            let partitioning = await sink.partitioning
            #expect(partitioning != nil)
            #expect(try await sink.write(SinkBehaviour.twoDayEvents()).total == 4)
            let partitions = try await sink.partitions(of: "ticks")
            if partitioning == .daily {
                #expect(partitions == ["ticks_20251121", "ticks_20251122"])
                #expect(try await sink.partitions(of: "order_books") == ["order_books_20251121", "order_books_20251122"])
            } else {
                #expect(partitions.count == 2)
            }
            // A reopened sink finds the partitions already there and keeps writing into them.
            try await sink.close()
            let reopened = try fixture.open()
            try await reopened.prepare()
            #expect(try await reopened.write(SinkBehaviour.twoDayEvents()).total == 0)
            try await reopened.close()
        }
    }

    /// The COPY method's direct way (straight into the keyed tables) takes a new batch; a batch with rows stored
    /// before falls back to the staging way, which stores only what is new; timestamps written as text keep
    /// every microsecond, on any day.
    @Test func copyGoesDirectUntilItMeetsStoredRows() async throws {
        try await run(.postgresCopy) { fixture in
            let sink = try fixture.open()
            guard let postgres = sink as? PostgresArchiveSink else { Issue.record("not the PostgreSQL sink"); return }
            try await sink.prepare()
            let instants = [
                BusEventSamples.time, BusEventSamples.time.addingTimeInterval(0.000_001),
                Date(timeIntervalSince1970: 1_709_251_199.999_999), // 2024-02-29 23:59:59.999999 UTC
                Date(timeIntervalSince1970: 946_684_800), // 2000-01-01 00:00:00 UTC
                Date(timeIntervalSince1970: 4_102_444_799.5), // 2099-12-31 23:59:59.5 UTC
            ]
            let ticks = instants.enumerated().map { index, instant in
                var event = BusEventSamples.tick(id: "t-\(index)", symbol: "005930", price: Int64(100 + index))
                if case .tick(var tick) = event.payload { tick.time = instant; event.payload = .tick(tick) }
                return event
            }
            let books = (0..<3).map { BusEventSamples.orderBook(id: "b-\($0)", symbol: "000660") }
            #expect(try await sink.write(ticks + books).total == 8)
            #expect(await postgres.copyFallbacks == 0, "a new batch goes the direct way")
            let stored = try await sink.trades(provider: .kis, symbol: "005930", from: Date(timeIntervalSince1970: 0), to: Date(timeIntervalSince1970: 4_200_000_000))
            func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
            #expect(stored.map { micros($0.time) }.sorted() == instants.map(micros).sorted())
            // Half stored before: the staging way stores the other half and counts only it.
            let more = [BusEventSamples.tick(id: "t-new", symbol: "005930")] + books + [BusEventSamples.orderBook(id: "b-new", symbol: "000660")]
            #expect(try await sink.write(more).total == 2)
            #expect(await postgres.copyFallbacks == 1)
            #expect(try await sink.write([BusEventSamples.tick(id: "t-later", symbol: "005930")]).total == 1)
            #expect(await postgres.copyFallbacks == 1, "the next new batch goes direct again")
            let counts = try await sink.storedCounts()
            #expect(counts[LedgerKey(provider: "kis", channel: .ticker, symbol: "005930")] == 7)
            #expect(counts[LedgerKey(provider: "kiwoom", channel: .orderbook, symbol: "000660")] == 4)
            try await sink.close()
        }
    }

    @Test func storesFieldsFaithfully() async throws {
        try await run(.postgresCopy) { fixture in
            let sink = try fixture.open()
            try await sink.prepare()
            let awkward = RealtimeEvent(
                id: "f-1", channel: .system, provider: .kis, symbol: "parser.failure", receivedAt: BusEventSamples.time,
                payload: .alert(RealtimeAlert(kind: "parser.failure", message: "tab\there\nnew line \\ back\\slash 한글", at: BusEventSamples.time))
            )
            #expect(try await sink.write([awkward, BusEventSamples.tick(id: "f-2", optionalsSet: false)]).total == 2)
            try await sink.close()
        }
    }

    private func run(_ kind: SinkTestFixture.Kind, _ body: (SinkTestFixture) async throws -> Void) async throws {
        let fixture = try SinkTestFixture(kind)
        do {
            try await body(fixture)
        } catch {
            await fixture.cleanUp()
            throw error
        }
        await fixture.cleanUp()
    }
}
