import Archiver
import ArgumentParser
import BrokerCore
import Foundation
import History
import HubEngine
import Logging

/// `brokerhub verify`: a trading day's stored trades against the broker's minute candles, minute by minute.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a trading day's archived trades against the broker's minute candles; name every missing minute.",
        discussion: """
        For each symbol: the minute candles its stored trades make, against the broker's minute candles fetched through \
        the hub (--hub, or --embedded) at backfill priority (KIS FHKST03010200 today, FHKST03010230 a past day; Kiwoom ka10080). A minute is \
        complete when volume matches exactly and open/high/low/close within --price-tolerance; otherwise missing (no \
        trades stored), short (less volume) or differ — or backfilled, when `brokerhub backfill` stored the broker's \
        candle for it. Complete minutes are stored as derived candles. The collector's session.gap alerts of the day \
        are listed too. --from/--to take HH:MM (KST), or first-trade / last-trade: the window the collection covered \
        whole. --report FILE writes the report for `brokerhub backfill --report FILE`. Exit codes: 0 clean, 1 gaps \
        found, 64 bad arguments (a day in the future, a closed day, a day the broker no longer keeps), 69 the hub is \
        not answering, 74 the archive cannot be read.
        """
    )

    @OptionGroup var window: DayWindowOptions

    @OptionGroup var symbolList: SymbolListOptions

    @Option(help: "The archive: sqlite:PATH or postgres://user@host:port/db[?schema=NAME].")
    var sink: String

    @OptionGroup var hubOptions: HubOptions

    @Option(help: "KRW a minute's open, high, low or close may differ by.")
    var priceTolerance: Int64 = 0

    @Option(help: "Shares a minute's volume may differ by.")
    var volumeTolerance: Int64 = 0

    @Option(help: "Write the report (JSON) to this file, for `brokerhub backfill --report`.")
    var report: String?

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    @Flag(help: "Do not store complete minutes as derived candles.")
    var noDerived = false

    @Option(help: "Log level (default: BROKERHUB_LOG_LEVEL or warning).")
    var logLevel: String?

    func validate() throws {
        guard priceTolerance >= 0, volumeTolerance >= 0 else { throw ValidationError("tolerances must not be negative") }
    }

    func run() async throws {
        let logger = try ProcessRunner.logger(label: "brokerhub.verify", level: logLevel ?? ProcessInfo.processInfo.environment["BROKERHUB_LOG_LEVEL"] ?? "warning")
        let options = try window.options(
            symbols: try await symbolList.read(), tolerance: .init(price: priceTolerance, volume: volumeTolerance), storeDerived: !noDerived
        )
        let store = try ProcessRunner.openSink(sink, logger: logger)
        let verification = try await hubOptions.withSource(closing: store, consequence: "nothing was verified", logger: logger) { source in
            let verifier = Verifier(source: source, store: store, logger: logger)
            return try await LossLoopRun.perform(store: store, label: "verify") { progress in
                try await verifier.run(options, progress: progress)
            }
        }
        if let report {
            guard FileManager.default.createFile(atPath: report, contents: Data((verification.json() + "\n").utf8)) else {
                CLIExit.report("--report \(report) cannot be written")
                throw ExitCode(CLIExit.ioError)
            }
        }
        print(json ? verification.json() : verification.table(), terminator: json ? "\n" : "")
        if !verification.isClean { throw ExitCode(1) }
    }
}
