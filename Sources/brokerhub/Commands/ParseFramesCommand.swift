import ArgumentParser
import BrokerCore
import BrokerWire
import Foundation

/// `brokerhub parse-frames`: realtime frames, one per line → one JSON record per line.
struct ParseFramesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-frames",
        abstract: "Parse realtime WebSocket frames (one per line) into JSON records, one per line.",
        discussion: """
        Control messages (acks, PINGPONG/PING, LOGIN, REG, SYSTEM) and encrypted frames are noted on stderr \
        (or printed as {"type":"control",…} with --include-control). Every line is processed; a line that cannot \
        be read is reported with its line number, the TR, the record and the field, and the exit code is 2.
        """
    )

    @Option(help: "The broker: kis or kiwoom.")
    var provider: Provider

    @Option(help: "When the frames were received: YYYYMMDDHHMMSS (KST) or ISO-8601; default now. Frames that carry only a time of day take this date.")
    var receivedAt: String?

    @Flag(help: "Print control messages as JSON objects on stdout too.")
    var includeControl = false

    @Argument(help: "The frames file; standard input when absent.")
    var file: String?

    func run() async throws {
        let receivedAt = try InputSource.instant(receivedAt)
        let input = try InputSource.read(file)
        var output = OutputBuffer()
        var failures = 0
        var lineNumber = 0
        var frames = 0
        for rawLine in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = String(decoding: rawLine, as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty { continue }
            frames += 1
            do {
                let parsed = try FrameInterpreter.interpret(line, provider: provider, receivedAt: receivedAt)
                for record in parsed.records { output.line(RecordJSON.encode(record)) }
                for note in parsed.notes {
                    if includeControl { output.line(note.json) } else { CLIExit.report("note: line \(lineNumber): \(note.text)") }
                }
            } catch let error as BrokerHubError {
                failures += 1
                output.flush()
                CLIExit.report("line \(lineNumber): \(error.message)")
            }
        }
        output.flush()
        if failures > 0 {
            CLIExit.report("\(failures) of \(frames) frames could not be parsed")
            throw ExitCode(CLIExit.malformedInput)
        }
    }
}
