import Foundation
import ProcessTestSupport
import Testing

/// Runs the built `brokerhub` executable as a user would.
struct CLIRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        var lines: [String] { stdout.split(separator: "\n").map(String.init) }

        /// Each stdout line parsed as a JSON object.
        func objects() throws -> [[String: Any]] {
            try lines.map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
                return try #require(object as? [String: Any], "not an object: \(line)")
            }
        }
    }

    /// The `brokerhub` binary the process tests use (`BROKERHUB_BINARY`, or the one next to the tests).
    static func binary() throws -> URL { try ServerProcess.binary() }

    static func run(_ arguments: [String], stdin: String = "") throws -> Result {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}
