import Archiver
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Realtime

/// `brokerhub ledger`: published against stored, per provider, channel and symbol.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Compare what was published (or sent by the mock broker) with what the archive stored.",
        subcommands: [LedgerStatusCommand.self, LedgerCheckCommand.self]
    )

    /// Exit code when something is missing from storage.
    static let gapExitCode: Int32 = 1
}

/// `brokerhub ledger status --bus … --sink …`: exit 0 when every published event is stored, 1 otherwise.
struct LedgerStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Published (bus) against stored (sink) per provider/channel/symbol; exit 1 when anything is missing."
    )

    @Option(help: "The bus: journal:PATH or redis://host:port/db.")
    var bus: String

    @Option(help: "The database: sqlite:PATH or postgres://user@host:port/db[?schema=NAME].")
    var sink: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let logger = try ProcessRunner.logger(label: "brokerhub.ledger", level: "warning")
        let opened = try ProcessRunner.openBus(bus, logger: logger)
        let sink = try ProcessRunner.openSink(sink, logger: logger)
        let report: LedgerReport
        do {
            report = try await Ledger(bus: opened.bus, sink: sink).report()
        } catch {
            try? await sink.close()
            CLIExit.report("ledger: \(error)")
            throw ExitCode(CLIExit.malformedInput)
        }
        try? await sink.close()
        try LedgerOutput.print(report, json: json)
    }
}

/// `brokerhub ledger check --mock URL --sink …`: what the mock broker sent against what was stored.
struct LedgerCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "The mock broker's records_sent (GET {mock}/_mock/stats) against stored rows; exit 1 on a gap."
    )

    @Option(help: "Base URL of the mock broker (http://127.0.0.1:PORT).")
    var mock: String

    @Option(help: "The database: sqlite:PATH or postgres://user@host:port/db[?schema=NAME].")
    var sink: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let logger = try ProcessRunner.logger(label: "brokerhub.ledger", level: "warning")
        let sink = try ProcessRunner.openSink(sink, logger: logger)
        let result: MockLedgerCheck.Result
        do {
            let url = mock.hasSuffix("/") ? mock + "_mock/stats" : mock + "/_mock/stats"
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            guard response.status == .ok else { throw ValidationError("GET \(url): HTTP \(response.status.code)") }
            let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
            let stored = try await sink.storedCounts()
            result = try MockLedgerCheck.compare(statsJSON: Data(body.readableBytesView), stored: stored)
        } catch {
            try? await sink.close()
            CLIExit.report("ledger check: \(error)")
            throw ExitCode(CLIExit.malformedInput)
        }
        try? await sink.close()
        if !result.ignored.isEmpty {
            CLIExit.report("ignored in mock stats: \(result.ignored.joined(separator: ", "))")
        }
        try LedgerOutput.print(result.report, json: json)
    }
}

enum LedgerOutput {
    /// Prints the report (table or JSON) and exits 1 when anything is missing, naming the gaps.
    static func print(_ report: LedgerReport, json: Bool) throws {
        FileHandle.standardOutput.write(Data((json ? report.json() + "\n" : report.table()).utf8))
        guard report.isComplete else {
            let gaps = report.gaps.map { "\($0.key) missing \($0.missing)" }.joined(separator: ", ")
            CLIExit.report("\(report.totalMissing) events missing: \(gaps)")
            throw ExitCode(LedgerCommand.gapExitCode)
        }
    }
}
