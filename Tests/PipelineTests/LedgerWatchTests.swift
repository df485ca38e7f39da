import Archiver
import BrokerCore
import BrokerHubTesting
import Foundation
import Logging
import Realtime
import ServiceLifecycle
import Testing

/// Issue #16 item 2: a ledger difference as an alert source — pure (`LedgerWatch`), and the archiver's monitor
/// raising `ledger.missing` on the bus's system channel over a real journal bus and SQLite sink.
@Suite("Ledger gaps as alerts", .timeLimit(.minutes(2)))
struct LedgerWatchTests {
    func report(_ missing: [(String, RealtimeChannel, Int64)]) -> LedgerReport {
        var published: [LedgerKey: Int64] = [:]
        var stored: [LedgerKey: Int64] = [:]
        for (provider, channel, count) in missing {
            let key = LedgerKey(provider: provider, channel: channel, symbol: "005930")
            published[key] = 1_000
            stored[key] = 1_000 - count
        }
        return LedgerReport(published: published, stored: stored)
    }

    @Test func aGapThatDoesNotShrinkIsFoundOnTheSecondReading() {
        var watch = LedgerWatch()
        #expect(watch.observe(report([("kis", .ticker, 40)])).isEmpty, "one reading may be events in flight")
        let found = watch.observe(report([("kis", .ticker, 40)]))
        #expect(found == [LedgerWatch.Finding(provider: "kis", channel: .ticker, missing: 40, readings: 2)])
        #expect(watch.observe(report([("kis", .ticker, 45)])).first?.readings == 3, "still there, growing: again")
        #expect(watch.observe(report([("kis", .ticker, 0)])).isEmpty, "stored after all")
    }

    @Test func eventsInFlightThatShrinkAreNotAGap() {
        var watch = LedgerWatch()
        _ = watch.observe(report([("kiwoom", .orderbook, 500)]))
        #expect(watch.observe(report([("kiwoom", .orderbook, 120)])).isEmpty, "shrinking: the archiver is catching up")
        #expect(watch.observe(report([("kiwoom", .orderbook, 120)])).count == 1, "then stuck")
        #expect(watch.observe(report([("kis", .system, 3)])).isEmpty, "alerts themselves are not watched")
    }

    @Test func theMonitorRaisesLedgerMissingOnTheSystemChannel() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("ledgerwatch")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bus = try makeJournalBus(directory)
        let fixture = try SinkTestFixture(.sqlite)
        let sink = try fixture.open()
        try await sink.prepare()
        // Published, never archived: a gap that does not shrink.
        try await bus.publish(BusEventSamples.mixed(count: 30, run: "gap", providers: [.kis]))
        let clock = ManualClock()
        var logger = Logger(label: "test.ledger")
        logger.logLevel = .critical
        let monitor = LedgerMonitor(ledger: Ledger(bus: bus, sink: sink), interval: .seconds(15), clock: clock, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [monitor], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var alerts: Int64 = 0
            for _ in 0..<600 where alerts == 0 {
                if clock.sleeperCount == 1 { clock.advance(by: .seconds(15)) }
                try await Task.sleep(for: .milliseconds(10))
                alerts = try await bus.publishedCounts().filter { $0.key.channel == .system && $0.key.symbol == "ledger.missing" }.values.reduce(0, +)
            }
            #expect(alerts >= 1, "ledger.missing raised on the system channel")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await sink.close()
        await fixture.cleanUp()
        try bus.close()
    }
}
