import Archiver
import BrokerCore
import BrokerHubTesting
import Foundation
import Logging
import Realtime
import ServiceLifecycle
import Testing

/// Issue #16 item 2: the ledger's difference pages only when it is a loss, never for events in flight or spooled.
@Suite("Ledger loss")
struct LedgerLossTests {
    static let key = LedgerKey(provider: "kis", channel: .ticker, symbol: "005930")
    static let start = Date(timeIntervalSince1970: 1_765_000_000)

    static func report(published: Int64, stored: Int64) -> LedgerReport {
        LedgerReport(published: [key: published], stored: [key: stored])
    }

    @Test func aDifferenceIsJudgedOnlyAfterTheArchiverCaughtUpPastTheBaseline() {
        var check = LedgerLossCheck(grace: .seconds(10))
        #expect(check.reading(Self.report(published: 100, stored: 40), at: Self.start, caughtUpAt: nil).isEmpty, "the first reading is the baseline")
        // Still in flight: the archiver has not been caught up since the baseline (plus grace).
        #expect(check.reading(Self.report(published: 150, stored: 90), at: Self.start + 15, caughtUpAt: Self.start + 5).isEmpty)
        #expect(check.reading(Self.report(published: 150, stored: 90), at: Self.start + 20, caughtUpAt: nil).isEmpty)
        // Caught up after the baseline: 100 published by then, 97 stored — 3 lost. Later events are not judged yet.
        let losses = check.reading(Self.report(published: 300, stored: 97), at: Self.start + 30, caughtUpAt: Self.start + 11)
        #expect(losses == [.init(key: Self.key, added: 3, total: 3)])
    }

    @Test func eachLossIsReportedOnceAndOnlyItsGrowthAgain() {
        var check = LedgerLossCheck(grace: .seconds(1))
        _ = check.reading(Self.report(published: 10, stored: 10), at: Self.start, caughtUpAt: nil)
        #expect(check.reading(Self.report(published: 20, stored: 8), at: Self.start + 5, caughtUpAt: Self.start + 2) == [.init(key: Self.key, added: 2, total: 2)])
        // Baseline 20 now: stored 18 after catching up is the same 2 lost — nothing new.
        #expect(check.reading(Self.report(published: 30, stored: 18), at: Self.start + 10, caughtUpAt: Self.start + 7).isEmpty)
        // Baseline 30: stored 25 → 5 lost in all, 3 of them new.
        #expect(check.reading(Self.report(published: 30, stored: 25), at: Self.start + 15, caughtUpAt: Self.start + 12) == [.init(key: Self.key, added: 3, total: 5)])
    }

    @Test func nothingMissingMeansNothingReported() {
        var check = LedgerLossCheck(grace: .seconds(1))
        var now = Self.start
        var published: Int64 = 0
        for step in 0..<20 {
            published += 50
            // Stored trails published by the batch in flight, and catches up.
            let stored = published - (step % 2 == 0 ? 50 : 0)
            now += 2
            #expect(check.reading(Self.report(published: published, stored: stored), at: now, caughtUpAt: now - 0.5).isEmpty, "step \(step)")
        }
    }

    /// A real archiver on a real journal: events a rogue consumer of the archiver's group took and acknowledged without
    /// storing are lost; the archiver's ledger monitor pages `ledger.missing` on the bus's system channel once, naming
    /// how many — while events it stores itself raise nothing.
    @Test(.timeLimit(.minutes(2)))
    func anArchiverPagesEventsItsGroupLost() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("ledger-loss")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bus = try makeJournalBus(directory)
        let alerts = try await bus.live(pattern: "system.ledger.missing")
        // Lost: taken by another consumer of the group and acknowledged, never written.
        let lost = BusEventSamples.mixed(count: 7, run: "lost").filter { $0.channel == .ticker }
        try await bus.publish(lost)
        let taken = try await bus.read(group: "archiver", consumer: "rogue", maximum: 100, wait: .seconds(1))
        try await bus.acknowledge(taken, group: "archiver")
        var configuration = ArchiverConfiguration.testing
        configuration.ledgerInterval = .milliseconds(200)
        configuration.ledgerGrace = .milliseconds(200)
        var logger = Logger(label: "test.ledger")
        logger.logLevel = .critical
        let application = try ArchiverApplication(
            bus: bus, sink: "sqlite:" + directory.appendingPathComponent("archive.sqlite").path, spool: directory.appendingPathComponent("spool").path,
            configuration: configuration, logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: application.services.map { .init(service: $0) }, logger: logger))
        let running = Task { try await group.run() }
        // Stored normally meanwhile: never paged.
        for round in 0..<5 {
            try await bus.publish(BusEventSamples.mixed(count: 40, run: "kept\(round)").filter { $0.channel != .system })
            try await Task.sleep(for: .milliseconds(150))
        }
        let keys = Set(lost.map { "\($0.provider.rawValue)/\($0.symbol)" })
        func pageKeys(_ pages: [RealtimeAlert]) -> Set<String> { Set(pages.map { "\($0.provider?.rawValue ?? "")/\($0.symbol ?? "")" }) }
        let pages = try await withThrowingTaskGroup(of: [RealtimeAlert].self) { tasks in
            tasks.addTask {
                var pages: [RealtimeAlert] = []
                for await event in alerts {
                    if case .alert(let alert) = event.payload { pages.append(alert) }
                    if pageKeys(pages) == keys { break }
                }
                return pages
            }
            tasks.addTask {
                try await Task.sleep(for: .seconds(20))
                return []
            }
            let first = try await tasks.next() ?? []
            tasks.cancelAll()
            return first
        }
        #expect(pageKeys(pages) == keys && pages.count == keys.count, "one page per lost key: \(pages.map(\.message))")
        let total = pages.compactMap { Int($0.message.split(separator: " ").first ?? "") }.reduce(0, +)
        #expect(total == lost.count, "\(pages.map(\.message))")
        // Nothing more while the archiver keeps storing what comes.
        try await bus.publish(BusEventSamples.mixed(count: 40, run: "after").filter { $0.channel != .system })
        try await Task.sleep(for: .seconds(1))
        let report = try await Ledger(bus: bus, sink: application.sink).report()
        #expect(report.totalMissing == Int64(lost.count), "only the rogue's events are missing: \(report.table())")
        await group.triggerGracefulShutdown()
        try await running.value
        try bus.close()
    }
}
