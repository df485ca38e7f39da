import Archiver
import ArgumentParser
import BrokerCore
import BrokerWire
import Foundation
import Logging

/// `brokerhub dead-letters list|replay`: the events the archive database refused for their content.
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List the events the archive database refused (the archiver's <spool>/dead-letter), or replay them into a sink.",
        discussion: "Exit codes: 0 done (replay: nothing refused again), 1 replay: some were refused again (kept), 64 bad arguments, 69 the sink is unavailable.",
        subcommands: [List.self, Replay.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per kept event: segment, id, channel, provider, symbol, receive time.")

        @Option(help: "The archiver's --spool directory.")
        var spool: String

        @Flag(help: "One JSON object per event.")
        var json = false

        func run() async throws {
            let entries: [DeadLetters.Entry]
            do {
                entries = try await DeadLetters(spoolDirectory: URL(fileURLWithPath: spool)).list()
            } catch {
                CLIExit.report("cannot read the dead-letter spool: \(error)")
                throw ExitCode(CLIExit.malformedInput)
            }
            for entry in entries {
                let event = entry.event
                if json {
                    var object = JSONWriter.Object()
                    object.add("segment", entry.segment)
                    object.add("id", event.id)
                    object.add("channel", event.channel.rawValue)
                    object.add("provider", event.provider.rawValue)
                    object.add("symbol", event.symbol)
                    object.add("received_at", KST.iso8601(event.receivedAt))
                    print(object.json)
                } else {
                    // The symbol may be what the database refused (control characters): shown escaped.
                    var symbol = ""
                    JSONWriter.writeString(event.symbol, into: &symbol)
                    print("\(entry.segment)  \(event.id)  \(event.channel.rawValue)  \(event.provider.rawValue)  \(symbol)  \(KST.iso8601(event.receivedAt))")
                }
            }
            if entries.isEmpty, !json { print("no dead letters in \(spool)/dead-letter") }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the kept events into a sink (after fixing what refused them); stored ones leave the spool, refused ones stay.",
            discussion: "Stop the archiver first: it appends to the same directory."
        )

        @Option(help: "The archiver's --spool directory.")
        var spool: String

        @Option(help: "The archive database: sqlite:PATH or postgres://user:password@host:port/db.")
        var sink: String

        @Option(help: "Log level (default: BROKERHUB_LOG_LEVEL or warning).")
        var logLevel: String?

        func run() async throws {
            let logger = try ProcessRunner.logger(label: "brokerhub.dead-letters", level: logLevel ?? ProcessInfo.processInfo.environment["BROKERHUB_LOG_LEVEL"] ?? "warning")
            let target = try ProcessRunner.openSink(sink, logger: logger)
            let report: DeadLetters.ReplayReport
            do {
                report = try await DeadLetters(spoolDirectory: URL(fileURLWithPath: spool)).replay(into: target)
            } catch {
                try? await target.close()
                CLIExit.report("replay stopped, nothing lost (the rest stays in the spool): \(error)")
                throw ExitCode(CLIExit.unavailable)
            }
            try? await target.close()
            print("replayed: \(report.written) stored, \(report.alreadyStored) already stored, \(report.refused.count) refused again (kept)")
            for (id, reason) in report.refused.sorted(by: { $0.key < $1.key }) { print("  refused \(id): \(reason.prefix(300))") }
            if !report.refused.isEmpty { throw ExitCode(1) }
        }
    }
}
