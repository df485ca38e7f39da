import ArgumentParser
import AsyncHTTPClient
import BrokerCore
import Foundation
import HubEngine
import HubServer
import Logging
import ServiceLifecycle
import Snapshots

/// `brokerhub snapshot`: scheduled observation snapshots through a running hub into a rolling JSONL archive.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Take scheduled market snapshots through a hub (swing: the universe every few minutes; scalp: chosen symbols every second) into a rolling JSONL archive.",
        discussion: """
        Every call goes through the hub named by --hub (its shared token, budget and priority queue): swing at \
        snapshot priority (KIS FHKST11300006, 30 symbols a call; Kiwoom ka10001 per symbol), scalp at interactive \
        priority (FHKST01010100 / ka10001 per symbol, within --budget-share of the provider's budget). Runs only in \
        market hours from the KRX calendar (--hours) and sleeps, saying why, otherwise. Each snapshot is validated, \
        guarded (stale, duplicate, halted, unknown) and enriched; what is refused goes to the rejects file with its \
        reason. Files: DIR/YYYY-MM-DD/snapshots-YYYYMMDD-NNNN.jsonl (rejects-…), the one being written ending in \
        .open, a manifest per day. The API key, when the hub has keys, comes from BROKERHUB_API_KEY. Exit codes: 0 \
        done, 64 bad arguments, 69 every call failed (hub not reachable), 74 the archive cannot be written.
        """
    )

    @Option(help: "swing (the universe every --interval, default 150 s) or scalp (chosen symbols, default every 1 s).")
    var mode: ObservationSnapshot.Mode = .swing

    @Option(help: "kis or kiwoom.")
    var provider: Provider = .kis

    @Option(help: "The hub's base URL (default: BROKERHUB_HUB_URL or http://127.0.0.1:8080).")
    var hub: String?

    @OptionGroup var symbolList: SymbolListOptions

    @Option(help: "The archive directory.")
    var out: String = "./var/snapshots"

    @Option(help: "Seconds between cycle starts (default: swing 150, scalp 1).")
    var interval: Double?

    @Option(help: "regular (09:00–15:30 KST), extended (with pre-market and after-hours) or always (a mock whose market never closes).")
    var hours: String = "regular"

    @Option(help: "Roll a file before it passes this many MiB.")
    var rollMb: Double = 64

    @Flag(help: "gzip each file after it is rolled.")
    var gzip = false

    @Option(help: "Keep this many days (today included); default: keep all.")
    var retentionDays: Int?

    @Option(help: "Refuse snapshots older than this many seconds when received.")
    var maxAge: Double = 10

    @Flag(help: "Archive a snapshot even when it repeats the symbol's previous state.")
    var keepDuplicates = false

    @Flag(help: "Archive snapshots of halted symbols.")
    var keepHalted = false

    @Option(help: "Hub calls in flight at once.")
    var concurrency: Int = 16

    @Option(help: "The provider's calls per second this schedule is measured against (default: KIS 18, Kiwoom 2 per api-id).")
    var budget: Double?

    @Option(help: "The most of --budget a scalp schedule may ask for.")
    var budgetShare: Double = 0.5

    @Option(help: "Stop after this many cycles (default: run until SIGTERM/SIGINT).")
    var cycles: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(name: [.customLong("http-port"), .customLong("metrics-port")], help: "Serve /health, /ready, /status and /metrics on this loopback port (0: any free port).")
    var httpPort: Int?

    @Option(help: "Address of the operations endpoint (0.0.0.0 in a container, for Prometheus).")
    var httpHost: String = "127.0.0.1"

    @Option(help: "Write the operations endpoint's URL (or 'ready') to this file once started.")
    var readyFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: BROKERHUB_LOG_LEVEL or info).")
    var logLevel: String?

    func validate() throws {
        guard SnapshotHours(rawValue: hours) != nil else { throw ValidationError("--hours is regular, extended or always") }
        if let cycles, cycles <= 0 { throw ValidationError("--cycles must be positive") }
        if let retentionDays, retentionDays <= 0 { throw ValidationError("--retention-days must be positive") }
        guard rollMb >= 0.01, rollMb <= 4096 else { throw ValidationError("--roll-mb must be 0.01 to 4096") }
        guard maxAge > 0, maxAge <= 3600 else { throw ValidationError("--max-age must be 0 to 3600 seconds") }
        guard budgetShare > 0, budgetShare <= 1 else { throw ValidationError("--budget-share must be in (0, 1]") }
        if let budget, budget <= 0 { throw ValidationError("--budget must be positive") }
    }

    func run() async throws {
        HubMetrics.bootstrap()
        let logger = try ProcessRunner.logger(label: "brokerhub.snapshot", level: logLevel)
        let endpoint = HubEndpoint(hub)
        let base = endpoint.base
        let list = try await symbolList.read()
        var configuration = SnapshotConfiguration(mode: mode, provider: provider, symbols: list, directory: out)
        if let interval { configuration.interval = .milliseconds(Int64(interval * 1000)) }
        configuration.hours = SnapshotHours(rawValue: hours) ?? .regular
        configuration.archive.maxFileBytes = Int(rollMb * 1_048_576)
        configuration.archive.compressAfterRoll = gzip
        configuration.archive.retentionDays = retentionDays
        configuration.maximumAge = .milliseconds(Int64(maxAge * 1000))
        configuration.rejectDuplicates = !keepDuplicates
        configuration.rejectHalted = !keepHalted
        configuration.concurrency = concurrency
        configuration.maximumCycles = cycles
        configuration.scalpBudgetShare = budgetShare
        let perSecond = budget ?? SnapshotPlan.budgetPerSecond(provider, limits: RateLimitPolicy())
        do {
            try configuration.validate(budgetPerSecond: perSecond)
        } catch let error as BrokerHubError {
            throw ValidationError(error.message)
        }
        let calls = SnapshotPlan.calls(mode: mode, provider: provider, symbols: list).count
        let estimate = Double(calls) / perSecond
        logger.info("snapshot schedule", metadata: [
            "snapshot.mode": "\(mode)", "snapshot.provider": "\(provider)", "snapshot.symbols": "\(list.count)", "snapshot.calls_per_cycle": "\(calls)",
            "snapshot.interval_s": "\(configuration.interval.timeInterval)", "snapshot.hours": "\(configuration.hours)", "snapshot.hub": "\(base)",
            "snapshot.out": "\(out)",
        ])
        if estimate > configuration.interval.timeInterval {
            logger.warning("a cycle needs longer than the interval at this budget: cycles will overrun and skip", metadata: [
                "snapshot.cycle_estimate_s": "\(String(format: "%.1f", estimate))", "snapshot.budget_per_s": "\(perSecond)",
            ])
        }
        let source = HTTPSnapshotSource(hub: base, apiKey: endpoint.apiKey, timeout: configuration.callTimeout)
        let collector = SnapshotCollector(configuration: configuration, source: source, logger: logger)
        do {
            try await collector.prepare()
        } catch {
            CLIExit.report("cannot prepare the archive in \(out): \(error)")
            throw ExitCode(CLIExit.ioError)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: collector, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let httpPort {
            let endpoint = WorkerHTTPServer.endpoint(host: httpHost, port: httpPort, what: "snapshot", readyFile: readyFile, logger: logger, status: {
                collector.status.json()
            }) {
                collector.status.phase == .stopped ? "stopped" : nil
            }
            services.append(.init(service: endpoint))
        } else if let readyFile {
            try? Data("ready\n".utf8).write(to: URL(fileURLWithPath: readyFile))
        }
        try await ProcessRunner.run(configured: services, drainSeconds: 10, duration: duration, logger: logger)
        let status = collector.status
        print(status.json())
        if status.failedCalls > 0, status.collected == 0, status.rejected.values.reduce(0, +) == 0 {
            CLIExit.report("every call failed: is the hub at \(base) running?")
            throw ExitCode(CLIExit.unavailable)
        }
        if status.archiveErrors > 0 {
            CLIExit.report("\(status.archiveErrors) archive writes failed (see the log)")
            throw ExitCode(CLIExit.ioError)
        }
    }
}

extension ObservationSnapshot.Mode: ExpressibleByArgument {}
