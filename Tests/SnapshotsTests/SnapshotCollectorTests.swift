import BrokerClients
import BrokerCore
import BrokerHubTesting
import BrokerWire
import Foundation
import HubServer
import Logging
import MockBroker
import ServiceLifecycle
import Snapshots
import Testing

/// Issue #14 items 2 and 7: the collector on a manual clock (cadence, overruns, market-hours gating) and real
/// cycles through an in-process hub against the mock broker over HTTP.
@Suite("Snapshot collector", .timeLimit(.minutes(3)))
struct SnapshotCollectorTests {
    static var quiet: Logger {
        var logger = Logger(label: "test.snapshot")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `collector` as a service until `body` returns, then shuts it down gracefully.
    func running<T: Sendable>(_ collector: SnapshotCollector, _ body: () async throws -> T) async throws -> T {
        // A collector told to stop after N cycles ends the group gracefully, like `brokerhub snapshot --cycles N`.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: collector, successTerminationBehavior: .gracefullyShutdownGroup)], logger: Self.quiet
        ))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    /// Waits (in real time, bounded) until `condition` holds.
    func eventually(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<500 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("never: \(what)")
        throw CancellationError()
    }

    @Test func aScalpLoopHoldsItsOneSecondCadenceOnTheManualClock() async throws {
        let clock = ManualClock(start: SnapshotFixtures.monday(10, 0))
        let source = ScriptedSnapshotSource(clock: clock)
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = SnapshotConfiguration(mode: .scalp, provider: .kis, symbols: ["005930", "000660"], directory: directory)
        let collector = SnapshotCollector(configuration: configuration, source: source, clock: clock, logger: Self.quiet)
        try await running(collector) {
            for cycle in 1...5 {
                try await eventually("cycle \(cycle) done and waiting") { collector.status.cycles == cycle && clock.sleeperCount == 1 }
                clock.advance(by: .seconds(1))
            }
            try await eventually("cycle 6") { collector.status.cycles == 6 }
        }
        let times = Dictionary(grouping: source.recorded, by: \.at).keys.sorted()
        let start = SnapshotFixtures.monday(10, 0)
        #expect(times.prefix(6) == ArraySlice((0..<6).map { start.addingTimeInterval(Double($0)) }), "one cycle each second: \(times)")
        #expect(source.recorded.count >= 12 && source.recorded.allSatisfy { $0.call.transaction == "FHKST01010100" })
        let status = collector.status
        #expect(status.lastCycle?.lag == 0 && status.overruns == 0 && status.collected >= 12 && status.phase == .stopped)
    }

    @Test func aCycleLongerThanTheIntervalIsReportedNotStacked() async throws {
        let clock = ManualClock(start: SnapshotFixtures.monday(10, 0))
        // Each call takes 2.5 s of the manual clock.
        let source = ScriptedSnapshotSource(clock: clock) { clock.advance(by: .milliseconds(2_500)) }
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = SnapshotConfiguration(mode: .scalp, provider: .kis, symbols: ["005930"], directory: directory)
        configuration.maximumCycles = 2
        let collector = SnapshotCollector(configuration: configuration, source: source, clock: clock, logger: Self.quiet)
        try await running(collector) {
            try await eventually("first cycle done") { collector.status.cycles == 1 && clock.sleeperCount == 1 }
            let status = collector.status
            #expect(status.overruns == 1 && status.skippedCycles == 2 && status.lastCycle?.overran == true)
            #expect(status.nextAt == SnapshotFixtures.monday(10, 0, 3), "the next slot on the grid after the overrun")
            clock.advance(by: .milliseconds(500))
            try await eventually("stopped after 2 cycles") { collector.status.phase == .stopped }
        }
        #expect(source.recorded.map(\.at) == [SnapshotFixtures.monday(10, 0), SnapshotFixtures.monday(10, 0, 3)])
    }

    @Test func outsideMarketHoursItSleepsSaysWhyAndStartsAtTheOpen() async throws {
        let saturday = KST.instant(KSTDate(year: 2025, month: 9, day: 13)!, hour: 11, minute: 0, second: 0)
        let clock = ManualClock(start: saturday)
        let source = ScriptedSnapshotSource(clock: clock)
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = SnapshotConfiguration(mode: .swing, provider: .kis, symbols: ["005930"], directory: directory)
        configuration.maximumCycles = 1
        let collector = SnapshotCollector(configuration: configuration, source: source, clock: clock, logger: Self.quiet)
        let monday = KST.instant(KSTDate(year: 2025, month: 9, day: 15)!, hour: 9, minute: 0, second: 0)
        try await running(collector) {
            try await eventually("sleeping") { collector.status.phase == .sleeping && clock.sleeperCount == 1 }
            #expect(collector.status.reason == "weekend" && collector.status.nextAt == monday)
            #expect(collector.status.json().contains(#""phase":"sleeping","reason":"weekend""#))
            #expect(source.recorded.isEmpty)
            clock.advance(by: .seconds(monday.timeIntervalSince(saturday)))
            try await eventually("the first cycle at the open") { collector.status.phase == .stopped }
        }
        #expect(source.recorded.map(\.at) == [monday])
    }

    @Test func unknownSymbolsAreRejectedWithTheirReasonNotDropped() async throws {
        let clock = ManualClock(start: SnapshotFixtures.monday(10, 0))
        let source = ScriptedSnapshotSource(clock: clock, unknown: ["999999"])
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = SnapshotConfiguration(mode: .swing, provider: .kis, symbols: ["005930", "999999", "000660"], directory: directory)
        let collector = SnapshotCollector(configuration: configuration, source: source, clock: clock, logger: Self.quiet)
        try await collector.prepare()
        let result = await collector.runCycle(1)
        try await collector.finish()
        #expect(result.collected == 2 && result.rejected == 1 && result.uncovered == 1)
        #expect(collector.status.rejected[.unknownSymbol] == 1)
        let rejects = try String(contentsOfFile: directory + "/2025-09-08/rejects-20250908-0001.jsonl", encoding: .utf8)
        #expect(rejects.contains(#""reason":"unknown_symbol""#) && rejects.contains(#""symbol":"999999""#) && rejects.contains("not found"))
    }

    @Test func anArchiveThatCannotBeWrittenStopsTheScheduleNotTheProcess() async throws {
        let clock = ManualClock(start: SnapshotFixtures.monday(10, 0))
        let source = ScriptedSnapshotSource(clock: clock)
        // A directory below a regular file can never be created.
        let configuration = SnapshotConfiguration(mode: .swing, provider: .kis, symbols: ["005930"], directory: "/dev/null/snapshots")
        let collector = SnapshotCollector(configuration: configuration, source: source, clock: clock, logger: Self.quiet)
        await #expect(throws: BrokerHubError.self) { try await collector.prepare() }
        let again = SnapshotCollector(configuration: configuration, source: source, clock: clock, logger: Self.quiet)
        try await running(again) {
            try await eventually("stopped with the reason") { again.status.phase == .stopped }
            #expect(again.status.reason?.hasPrefix("archive: snapshot.archive_io") == true, "\(String(describing: again.status.reason))")
        }
        #expect(source.recorded.isEmpty)
    }

    // MARK: Through a real hub

    /// The mock (300 symbols, always open) and a hub on an in-memory store over it, running as services.
    func withHub<T: Sendable>(_ body: @Sendable (MockBroker, HubApplication) async throws -> T) async throws -> T {
        try await MockBrokerHarness.run(MockBrokerHarness.configuration(seed: 14)) { broker, base in
            var configuration = HubConfiguration()
            configuration.inMemory = true
            configuration.port = 0
            configuration.accounts = [
                try #require(MockBrokerHarness.accounts(broker, .kis, base: base).first),
                try #require(MockBrokerHarness.accounts(broker, .kiwoom, base: base).first),
            ]
            let application = try HubApplication(configuration: configuration, logger: Self.quiet)
            let group = ServiceGroup(configuration: .init(services: application.services(), logger: Self.quiet))
            return try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let result = try await body(broker, application)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            }
        }
    }

    /// One cycle of a `mode` schedule over `symbols` through the in-process hub, at any hour, archived in `directory`.
    static func oneCycle(
        _ mode: ObservationSnapshot.Mode, _ provider: Provider, _ symbols: [String], through application: HubApplication, into directory: String
    ) async throws -> SnapshotCollector.CycleResult {
        var configuration = SnapshotConfiguration(mode: mode, provider: provider, symbols: symbols, directory: directory)
        configuration.hours = .always
        let collector = SnapshotCollector(configuration: configuration, source: HubSnapshotSource(hub: application.hub), logger: quiet)
        try await collector.prepare()
        let result = await collector.runCycle(1)
        try await collector.finish()
        return result
    }

    @Test func aSwingCycleThroughTheHubCoversEverySymbolExactlyOnce() async throws {
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withHub { broker, application in
            let universe = broker.market.universe.symbols.map(\.code)
            let result = try await Self.oneCycle(.swing, .kis, universe, through: application, into: directory)
            #expect(result.calls == 10 && result.failedCalls == 0 && result.collected == 300 && result.rejected == 0, "\(result)")
            let day = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first)
            let text = try String(contentsOfFile: directory + "/" + day + "/snapshots-\(day.replacingOccurrences(of: "-", with: ""))-0001.jsonl", encoding: .utf8)
            let symbols = try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }.map { $0["symbol"]?.stringValue ?? "" }
            #expect(symbols.count == 300 && Set(symbols) == Set(universe), "every symbol exactly once")
            let stats = try JSONParser.parse(broker.stats.json())
            #expect(stats["kis"]?["requests"]?["FHKST11300006"]?.intValue == 10)
            #expect(stats["kis"]?["rate_limit_violations"]?.intValue == 0 && stats["kis"]?["tokens_issued"]?.intValue == 1)
        }
    }

    @Test func kiwoomQuotesOneSymbolACallThroughTheHub() async throws {
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withHub { broker, application in
            let symbols = Array(broker.market.universe.symbols.prefix(3).map(\.code))
            let result = try await Self.oneCycle(.scalp, .kiwoom, symbols, through: application, into: directory)
            #expect(result.calls == 3 && result.collected == 3 && result.failedCalls == 0, "\(result)")
            let stats = try JSONParser.parse(broker.stats.json())
            #expect(stats["kiwoom"]?["requests"]?["ka10001"]?.intValue == 3 && stats["kiwoom"]?["rate_limit_violations"]?.intValue == 0)
        }
    }
}
