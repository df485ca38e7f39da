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

    /// Runs `brokerhub <arguments>` with `stdin`, waiting without blocking a thread; a run past `deadline` is
    /// killed and recorded as an issue with its output (output goes through files, so a chatty child never
    /// fills a pipe and stalls).
    static func run(_ arguments: [String], stdin: String = "", deadline: Duration = .seconds(60)) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = ["stdin", "stdout", "stderr"].map { directory.appendingPathComponent($0) }
        try Data(stdin.utf8).write(to: paths[0])
        FileManager.default.createFile(atPath: paths[1].path, contents: nil)
        FileManager.default.createFile(atPath: paths[2].path, contents: nil)
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: paths[0])
        process.standardOutput = try FileHandle(forWritingTo: paths[1])
        process.standardError = try FileHandle(forWritingTo: paths[2])
        try process.run()
        let end = ContinuousClock.now + deadline
        while process.isRunning, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(10)) }
        let stdout = (try? String(contentsOf: paths[1], encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: paths[2], encoding: .utf8)) ?? ""
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            Issue.record("brokerhub \(arguments.joined(separator: " ")) still ran after \(deadline): killed. stderr: \(stderr.suffix(2000))")
        }
        return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
