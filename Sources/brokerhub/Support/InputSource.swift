import ArgumentParser
import BrokerCore
import Foundation

/// Reads a whole file, or standard input when no path (or `-`) is given.
enum InputSource {
    static func read(_ path: String?) throws -> [UInt8] {
        if let path, path != "-" {
            guard let data = FileManager.default.contents(atPath: path) else {
                CLIExit.report("cannot read \(path)")
                throw ExitCode(CLIExit.malformedInput)
            }
            return Array(data)
        }
        return Array(FileHandle.standardInput.readDataToEndOfFile())
    }

    /// `YYYYMMDDHHMMSS` (KST) or ISO-8601 with an offset; now when absent.
    static func instant(_ text: String?) throws -> Date {
        guard let text else { return Date() }
        if let instant = KST.parseCompactDateTime(text) { return instant }
        let formatter = ISO8601DateFormatter()
        if let instant = formatter.date(from: text) { return instant }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let instant = formatter.date(from: text) { return instant }
        throw ValidationError("--received-at: expected YYYYMMDDHHMMSS (KST) or ISO-8601, got \(text)")
    }
}
