import Archiver
import ArgumentParser
import AsyncHTTPClient
import BrokerCore
import BrokerWire
import Foundation
import History
import HubEngine
import Logging

/// `brokerhub history`: daily and minute candles of a symbol list through a running hub into the archive, resumable.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Collect daily and minute candles through the hub into the archive (PostgreSQL or SQLite); re-running resumes.",
        discussion: """
        Every call goes through the hub named by --hub (or one in this process with --embedded) at backfill priority (its shared token and budget; interactive \
        callers go first), every broker page followed. Candles are stored in the archive's candles table (the same \
        --sink as `brokerhub archive`) with a checkpoint per symbol and interval in the same transaction, so a run \
        killed at any moment and run again fetches only what is missing. KIS minute candles come a trading day a call \
        (FHKST03010230 for past days, kept about a year; FHKST03010200 for today). Progress: a live line on a terminal, \
        JSON lines otherwise; a summary at the end. --dry-run prints the plan (calls, requests with their pages, time at --budget). The API key, \
        when the hub has keys, comes from BROKERHUB_API_KEY. Exit codes: 0 done, 1 some symbols failed (named), \
        64 bad arguments, 69 the hub stopped answering (what was stored stays; run again to resume), 74 the archive \
        cannot be written.
        """
    )

    @Option(help: "kis or kiwoom.")
    var provider: Provider = .kis

    @Option(help: "Intervals, comma-separated: 1d, 1w, 1M, 1Y, 1m (KIS); 1d, Nm (Kiwoom).")
    var interval: String = "1d"

    @Option(help: "First day, YYYYMMDD (KST).")
    var from: String

    @Option(help: "Last day, YYYYMMDD (KST; default today).")
    var to: String?

    @OptionGroup var symbolList: SymbolListOptions

    @Option(help: "The archive: sqlite:PATH or postgres://user@host:port/db[?schema=NAME].")
    var sink: String

    @OptionGroup var hubOptions: HubOptions

    @Option(help: "Hub calls in flight at once.")
    var concurrency: Int = 4

    @Option(help: "The provider's calls per second the time estimate uses (default: KIS 18, Kiwoom 5).")
    var budget: Double?

    @Flag(help: "Print the plan (steps, calls, time at --budget) and fetch nothing.")
    var dryRun = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: BROKERHUB_LOG_LEVEL or warning).")
    var logLevel: String?

    func validate() throws {
        guard KSTDate(from) != nil else { throw ValidationError("--from must be YYYYMMDD, got \(from.prefix(20))") }
        if let to, KSTDate(to) == nil { throw ValidationError("--to must be YYYYMMDD, got \(to.prefix(20))") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 64") }
        if let budget, budget <= 0 { throw ValidationError("--budget must be positive") }
        guard !intervals.isEmpty, intervals.count == interval.split(separator: ",").count else {
            throw ValidationError("--interval must be a comma-separated list like 1d,1m, got \(interval.prefix(40))")
        }
    }

    var intervals: [CandleInterval] { interval.split(separator: ",").compactMap { CandleInterval(String($0).trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        let logger = try ProcessRunner.logger(label: "brokerhub.history", level: logLevel ?? ProcessInfo.processInfo.environment["BROKERHUB_LOG_LEVEL"] ?? "warning")
        let symbols = try await symbolList.read()
        let today = KSTDate(Date())
        let first = KSTDate(from)!, last = to.flatMap { KSTDate($0) } ?? today
        let store = try ProcessRunner.openSink(sink, logger: logger)
        let plan: HistoryPlan
        do {
            var checkpoints: [String: KSTDate] = [:]
            for interval in intervals {
                for symbol in symbols {
                    if let through = try await store.candleCheckpoint(provider: provider, symbol: symbol, interval: interval) {
                        checkpoints[HistoryPlan.key(provider: provider, symbol: symbol, interval: interval)] = through
                    }
                }
            }
            plan = try HistoryPlan.make(provider: provider, symbols: symbols, intervals: intervals, from: first, to: last, today: today, checkpoints: checkpoints)
        } catch let error as BrokerHubError {
            try? await store.close()
            CLIExit.report(error.message)
            throw ExitCode(CLIExit.usage)
        } catch {
            try? await store.close()
            CLIExit.report("the archive \(ArchiveSinkSpecification.redacted(sink)) cannot be read: \(error)")
            throw ExitCode(CLIExit.ioError)
        }
        let perSecond = budget ?? (provider == .kis ? 18 : 5)
        let terminal = ProgressLine.standardOutputIsTerminal
        let planLine = "history: \(provider.rawValue) \(intervals.map(\.description).joined(separator: ",")) \(first.compact)–\(last.compact), "
            + "\(plan.symbols) symbols: \(plan.steps.count) steps, \(plan.calls) calls ≈ \(plan.sends) requests with their pages ≈ \(ProgressLine.clock(plan.seconds(atBudget: perSecond))) at \(String(format: "%g", perSecond))/s; "
            + "\(plan.complete) symbol × interval already complete"
        if dryRun {
            print(terminal ? planLine : #"{"plan":\#(Self.planJSON(plan, perSecond: perSecond))}"#)
            try? await store.close()
            return
        }
        if terminal { print(planLine) }
        let started = Date()
        let total = Double(plan.steps.count)
        let concurrency = self.concurrency
        let (outcome, collector) = try await hubOptions.withSource(closing: store, consequence: "nothing was fetched, run again to resume", logger: logger) { source in
            let collector = HistoryCollector(plan: plan, source: source, store: store, concurrency: concurrency, logger: logger)
            // A live line on a terminal; JSON lines every 2 s otherwise.
            let outcome = terminal
                ? try await ProgressLine.running(
                    label: "history", total: total, unit: "steps", done: { Double(collector.progress.stepsDone) },
                    detail: { let p = collector.progress; return "\(p.candlesInserted + p.candlesUpdated) candles, \(p.failed.count) failed" }
                ) { await collector.run() }
                : try await Self.reportingJSON(every: 2, collector: collector, started: started) { await collector.run() }
            return (outcome, collector)
        }
        try? await store.close()
        let progress = collector.progress
        let elapsed = Date().timeIntervalSince(started)
        var stopped: String?
        if case .stopped(let code, let message) = outcome { stopped = "\(code): \(message)" }
        if terminal {
            print("history: \(progress.stepsDone)/\(plan.steps.count) steps in \(ProgressLine.clock(elapsed)): \(progress.candlesInserted) candles new, "
                + "\(progress.candlesUpdated) updated, \(progress.calls) calls" + (progress.failed.isEmpty ? "" : "; failed: \(progress.failed.keys.sorted().joined(separator: ", "))"))
        } else {
            print(#"{"summary":\#(Self.progressJSON(progress, elapsed: elapsed, stopped: stopped))}"#)
        }
        switch outcome {
        case .stopped(let code, let message):
            CLIExit.report("stopped: \(code): \(message) — what was stored stays; run the same command again to resume")
            throw ExitCode(code.rawValue.hasPrefix("sink.") || code.rawValue.hasPrefix("archive.") ? CLIExit.ioError : CLIExit.unavailable)
        case .finished where !progress.failed.isEmpty:
            for (symbol, reason) in progress.failed.sorted(by: { $0.key < $1.key }) { CLIExit.report("\(symbol): \(reason)") }
            throw ExitCode(1)
        case .finished:
            break
        }
    }

    /// Runs `body`, printing a JSON progress line every `every` seconds.
    static func reportingJSON<T: Sendable>(every: Double, collector: HistoryCollector, started: Date, _ body: () async throws -> T) async throws -> T {
        let reporter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(every))
                if Task.isCancelled { break }
                print(#"{"progress":\#(progressJSON(collector.progress, elapsed: Date().timeIntervalSince(started)))}"#)
            }
        }
        defer { reporter.cancel() }
        return try await body()
    }

    static func planJSON(_ plan: HistoryPlan, perSecond: Double) -> String {
        var object = JSONWriter.Object()
        object.add("symbols", Int64(plan.symbols))
        object.add("intervals", raw: "[" + plan.intervals.map { "\"\($0.description)\"" }.joined(separator: ",") + "]")
        object.add("from", plan.from.compact)
        object.add("to", plan.to.compact)
        object.add("steps", Int64(plan.steps.count))
        object.add("calls", Int64(plan.calls))
        object.add("sends_estimated", Int64(plan.sends))
        object.add("complete", Int64(plan.complete))
        object.add("seconds_at_budget", number: String(format: "%.0f", plan.seconds(atBudget: perSecond)))
        object.add("budget_per_s", number: String(format: "%g", perSecond))
        return object.json
    }

    /// `{"progress": …}` or `{"summary": …}`: where the run is.
    static func progressJSON(_ p: HistoryCollector.Progress, elapsed: Double, stopped: String? = nil) -> String {
        let rate = elapsed > 0 ? Double(p.stepsDone) / elapsed : 0
        var object = JSONWriter.Object()
        object.add("steps", Int64(p.stepsDone))
        object.add("steps_total", Int64(p.stepsTotal))
        object.add("inserted", Int64(p.candlesInserted))
        object.add("updated", Int64(p.candlesUpdated))
        object.add("calls", Int64(p.calls))
        object.add("seconds", number: String(format: "%.1f", elapsed))
        object.add("steps_per_s", number: String(format: "%.2f", rate))
        object.add("eta_s", number: rate > 0 ? String(format: "%.0f", Double(p.stepsTotal - p.stepsDone) / rate) : "null")
        var failed = JSONWriter.Object()
        for (symbol, reason) in p.failed.sorted(by: { $0.key < $1.key }) { failed.add(symbol, reason) }
        object.add("failed", raw: failed.json)
        object.add("stopped", stopped)
        return object.json
    }
}
