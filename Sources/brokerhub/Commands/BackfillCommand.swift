import Archiver
import ArgumentParser
import BrokerCore
import Foundation
import History
import HubEngine
import Logging

/// `brokerhub backfill`: recovers what a verification found missing, marked `backfill`.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Recover the minutes a verification found missing: the broker's minute candles, and the trades it still has.",
        discussion: """
        Takes a report from `brokerhub verify --report FILE` (or, without --report, verifies --symbols first with \
        verify's --provider, --day, --from and --to). For every minute not accounted for it stores the broker's minute candle (source_type \
        backfill) and the trades the broker still serves in it (KIS: the last 30 of today, FHKST01010300; Kiwoom: \
        today's session, ka10079), deduplicated against the stored trades by time, price and shares; the ledger counts \
        them apart (`ledger status`: backfilled). Everything goes through the hub (--hub, or --embedded) at backfill priority. Running it \
        twice stores nothing new. Then `brokerhub verify` again: minutes that rest on a backfilled candle only are \
        named, with the shares whose trades could not be recovered. Exit codes: 0 done, 1 some symbols failed \
        (named), 64 bad arguments, 69 the hub is not answering, 74 the archive cannot be written.
        """
    )

    @Option(help: "A report written by `brokerhub verify --report`.")
    var report: String?

    /// Without --report: what to verify first.
    @OptionGroup var window: DayWindowOptions

    @Option(help: "Without --report: symbols, comma-separated.")
    var symbols: String?

    @Option(help: "The archive: sqlite:PATH or postgres://user@host:port/db[?schema=NAME].")
    var sink: String

    @OptionGroup var hubOptions: HubOptions

    @Flag(help: "Store candles only; do not ask the broker for trades.")
    var candlesOnly = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Option(help: "Log level (default: BROKERHUB_LOG_LEVEL or warning).")
    var logLevel: String?

    func validate() throws {
        if report == nil, symbols == nil { throw ValidationError("name a report (--report FILE) or the symbols to verify first (--symbols A,B)") }
        if let bad = symbols?.split(separator: ",").first(where: { !SymbolCode.isPlausible($0) }) {
            throw ValidationError("\(bad.prefix(20)) is not a symbol code")
        }
    }

    func run() async throws {
        let logger = try ProcessRunner.logger(label: "brokerhub.backfill", level: logLevel ?? ProcessInfo.processInfo.environment["BROKERHUB_LOG_LEVEL"] ?? "warning")
        var given: VerificationReport?
        if let report {
            guard let data = FileManager.default.contents(atPath: report) else { throw ValidationError("--report \(report) cannot be read") }
            do {
                given = try VerificationReport.decode(data)
            } catch let error as BrokerHubError {
                throw ValidationError("--report \(report): \(error.message)")
            }
        }
        let options = given == nil ? try window.options(symbols: (symbols ?? "").split(separator: ",").map(String.init)) : nil
        let store = try ProcessRunner.openSink(sink, logger: logger)
        let candlesOnly = candlesOnly
        let summary = try await hubOptions.withSource(closing: store, consequence: "nothing was backfilled", logger: logger) { source in
            try await LossLoopRun.perform(store: store, label: "backfill") { progress in
                let verification: VerificationReport
                if let given {
                    verification = given
                } else {
                    verification = try await Verifier(source: source, store: store, logger: logger).run(options!)
                }
                return try await Backfiller(source: source, store: store, logger: logger).run(verification, recoverTrades: !candlesOnly, progress: progress)
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print("backfill: \(summary.symbols) symbols: \(summary.candlesInserted) candles new, \(summary.candlesUpdated) updated, "
                + "\(summary.tradesRecovered) trades recovered" + (summary.failed.isEmpty ? "" : "; failed: \(summary.failed.keys.sorted().joined(separator: ", "))"))
        }
        if !summary.failed.isEmpty {
            for (symbol, reason) in summary.failed.sorted(by: { $0.key < $1.key }) { CLIExit.report("\(symbol): \(reason)") }
            throw ExitCode(1)
        }
    }
}
