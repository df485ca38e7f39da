import ArgumentParser
import BrokerClients
import BrokerCore
import BrokerWire
import Foundation
import HubEngine
import HubServer
import Logging
import MockBroker
import ServiceLifecycle
import Snapshots

/// `brokerhub bench snapshot`: full swing cycles over the mock's ~2,700-symbol universe through an embedded hub
/// at the KIS budget (issue #14 item 6), each printed beside the target (≤ 6 s) and the floor the budget sets
/// (90 calls evenly paced at 18/s), with the violations and tokens the mock counted.
struct SnapshotBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Swing snapshot cycles over a 2,700-symbol mock universe through the hub at the KIS budget, against the 6 s target."
    )

    @Option(help: "Symbols in the mock's universe.")
    var symbols: Int = 2_700

    @Option(help: "Cycles to run (the first also issues the token).")
    var cycles: Int = 3

    @Option(help: "Network latency the mock adds to every answer, in ms (plus up to --jitter-ms).")
    var latencyMs: Int = 5

    @Option(help: "Extra random latency, in ms.")
    var jitterMs: Int = 20

    @Option(help: "The hub's KIS budget per second.")
    var rate: Int = 18

    func run() async throws {
        #if DEBUG
        print("warning: debug build; figures are only meaningful with `swift run -c release brokerhub bench snapshot`")
        #endif
        var quiet = Logger(label: "brokerhub.bench")
        quiet.logLevel = .error
        let logger = quiet
        var mock = MockBrokerConfiguration(credentials: .generated(seed: 14))
        mock.universeSize = symbols
        mock.alwaysOpen = true
        mock.faults.latencyMilliseconds = latencyMs
        mock.faults.jitterMilliseconds = jitterMs
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-bench-snapshot-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rate = self.rate
        let cycles = self.cycles
        try await MockBrokerServer.withRunning(mock, logger: logger) { broker, base in
            var configuration = HubConfiguration()
            configuration.inMemory = true
            configuration.port = 0
            configuration.limits.kisRealPerSecond = rate
            guard let key = broker.configuration.credentials.keys.first(where: { $0.provider == .kis && $0.kind == .real }) else {
                throw BrokerHubError(.invalidConfiguration, "the mock has no real KIS key")
            }
            configuration.accounts = [BrokerAccount(provider: .kis, appKey: key.appKey, secret: key.secret, account: "50000000-01", baseURL: base)]
            let application = try HubApplication(configuration: configuration, logger: logger)
            let universe = broker.market.universe.symbols.map(\.code)
            var snapshot = SnapshotConfiguration(mode: .swing, provider: .kis, symbols: universe, directory: directory)
            snapshot.hours = .always
            snapshot.rejectDuplicates = false
            let collector = SnapshotCollector(configuration: snapshot, source: HubSnapshotSource(hub: application.hub), logger: logger)
            let group = ServiceGroup(configuration: .init(services: application.services(), logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await collector.prepare()
                let calls = SnapshotPlan.calls(mode: .swing, provider: .kis, symbols: universe).count
                // Evenly paced sends: the first goes at once, the rest one every 1/rate s.
                let floor = Double(calls - 1) / Double(rate)
                print("swing snapshot: \(universe.count) symbols, \(calls) FHKST11300006 calls a cycle, hub budget \(rate)/s, mock latency \(latencyMs)+0…\(jitterMs) ms")
                print("  reference in this run: target ≤ 6.00 s a cycle; floor at \(rate)/s = \(String(format: "%.2f", floor)) s")
                for cycle in 1...max(1, cycles) {
                    let started = ContinuousClock.now
                    // A live line while the cycle runs (its time against the floor's pace).
                    let result = try await ProgressLine.running(
                        label: "  cycle \(cycle)", total: (floor * 10).rounded(.up) / 10, unit: "s", done: { (ContinuousClock.now - started).timeInterval }
                    ) { await collector.runCycle(cycle) }
                    let seconds = (ContinuousClock.now - started).timeInterval
                    let stats = try JSONParser.parse(broker.stats.json())["kis"]
                    let violations = stats?["rate_limit_violations"]?.intValue ?? -1
                    let verdict = seconds <= 6 ? "met" : "NOT met"
                    print(String(
                        format: "  cycle %d: %.2f s (%@; %.0f%% of the floor's pace) — %d snapshots, %d failed calls, violations %d, tokens issued %d%@",
                        cycle, seconds, verdict, floor / seconds * 100, result.collected, result.failedCalls, violations,
                        stats?["tokens_issued"]?.intValue ?? -1, cycle == 1 ? " (includes the token issue)" : ""
                    ))
                    // The next cycle starts after a full second, as a schedule would leave the budget window.
                    try await Task.sleep(for: .seconds(1))
                }
                try await collector.finish()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
