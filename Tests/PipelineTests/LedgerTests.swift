import Archiver
import Foundation
import Realtime
import Testing

@Suite("Ledger", .timeLimit(.minutes(10)))
struct LedgerTests {
    let a = LedgerKey(provider: "kis", channel: .ticker, symbol: "005930")
    let b = LedgerKey(provider: "kiwoom", channel: .orderbook, symbol: "000660")
    let c = LedgerKey(provider: "kis", channel: .system, symbol: "watchdog.silence")

    @Test func reportsDifferencesPerKey() {
        let report = LedgerReport(published: [a: 10, b: 5, c: 1], stored: [a: 10, b: 3])
        #expect(report.rows.map(\.key) == [c, a, b])
        #expect(report.totalPublished == 16 && report.totalStored == 13 && report.totalMissing == 3)
        #expect(report.gaps.map(\.key) == [c, b])
        #expect(!report.isComplete)
        let table = report.table()
        #expect(table.contains("000660") && table.contains("<< MISSING") && table.contains("GAP"))
        let json = try? JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any]
        #expect(json?["missing"] as? Int == 3)
        #expect(json?["complete"] as? Bool == false)
        #expect((json?["rows"] as? [[String: Any]])?.count == 3)
    }

    @Test func surplusDoesNotHideAGap() {
        let report = LedgerReport(published: [a: 10, b: 5], stored: [a: 12, b: 4])
        #expect(report.totalMissing == 1)
        #expect(!report.isComplete)
        #expect(LedgerReport(published: [a: 10], stored: [a: 10]).isComplete)
    }

    @Test func balancesAgainstTheJournalBusAndSQLite() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("ledger")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bus = try makeJournalBus(directory)
        let sink = try SQLiteArchiveSink(path: directory.appendingPathComponent("archive.sqlite").path)
        try await sink.prepare()
        let events = try await publish(400, run: "l", to: bus)
        try await sink.write(Array(events[..<390]))
        let report = try await Ledger(bus: bus, sink: sink).report()
        #expect(report.totalPublished == 400 && report.totalStored == 390 && report.totalMissing == 10)
        try await sink.write(events)
        #expect(try await Ledger(bus: bus, sink: sink).report().isComplete)
        try await sink.close()
        try bus.close()
    }

    @Test func mockCheckByChannel() throws {
        let stats = """
            {"kis": {"records_sent": 12, "records_sent_by_channel": {"H0STCNT0": {"005930": 10}, "H0STASP0": {"005930": "2"}, "weird": 3}},
             "kiwoom": {"records_sent": 4, "records_sent_by_channel": {"ticker": {"000660": 4}}}}
            """
        let stored: [LedgerKey: Int64] = [
            a: 10, LedgerKey(provider: "kis", channel: .orderbook, symbol: "005930"): 1,
            LedgerKey(provider: "kiwoom", channel: .ticker, symbol: "000660"): 4, c: 7,
        ]
        let result = try MockLedgerCheck.compare(statsJSON: Data(stats.utf8), stored: stored)
        #expect(result.report.totalPublished == 16)
        #expect(result.report.gaps.map(\.key) == [LedgerKey(provider: "kis", channel: .orderbook, symbol: "005930")])
        #expect(result.ignored == ["kis/weird"])
        #expect(result.report.rows.allSatisfy { $0.key.channel != .system })
    }

    @Test func mockCheckBySymbolOnly() throws {
        let stats = #"{"kis": {"records_sent": 12, "records_sent_by_symbol": {"005930": 12}}, "kiwoom": {"records_sent": 0}}"#
        let stored: [LedgerKey: Int64] = [a: 10, LedgerKey(provider: "kis", channel: .orderbook, symbol: "005930"): 2]
        let result = try MockLedgerCheck.compare(statsJSON: Data(stats.utf8), stored: stored)
        #expect(result.report.isComplete)
        #expect(result.report.rows.count == 1)
        #expect(throws: ArchiverError.self) { try MockLedgerCheck.compare(statsJSON: Data("[]".utf8), stored: [:]) }
    }
}
