import AsyncHTTPClient
import BrokerWire
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// A `brokerhub` subcommand run as a real process (mock broker or hub), as users run them.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let url: String
    public let directory: URL
    public let log: URL

    public static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["BROKERHUB_BINARY"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("brokerhub")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/brokerhub")
        try #require(FileManager.default.isExecutableFile(atPath: fallback.path), "brokerhub binary not found; run swift build first")
        return fallback
    }

    /// Starts `brokerhub <arguments> --ready-file …` and waits until it listens.
    public static func start(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) async throws -> ServerProcess {
        let directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-test-\(UUID().uuidString.prefix(8))")
        let ready = directory.appendingPathComponent("ready-\(UUID().uuidString.prefix(6))")
        let (process, log) = try spawn(arguments + ["--ready-file", ready.path], environment: environment, directory: directory)
        for _ in 0..<600 {
            if let text = try? String(contentsOf: ready, encoding: .utf8), let line = text.split(separator: "\n").first {
                return ServerProcess(process: process, url: String(line), directory: directory, log: log)
            }
            if !process.isRunning {
                let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                Issue.record("\(arguments.first ?? "") exited before listening: \(output.suffix(2000))")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Foundation.kill(process.processIdentifier, SIGKILL)
        Issue.record("\(arguments.first ?? "") did not listen within 60 s: \((try? String(contentsOf: log, encoding: .utf8))?.suffix(2000) ?? "")")
        throw CancellationError()
    }

    /// Starts `brokerhub <arguments>` for a worker that serves no HTTP (collector, archiver): returns once it
    /// runs; `url` is empty.
    public static func launch(_ arguments: [String], environment: [String: String] = [:], directory: URL) throws -> ServerProcess {
        let (process, log) = try spawn(arguments, environment: environment, directory: directory)
        return ServerProcess(process: process, url: "", directory: directory, log: log)
    }

    /// Runs the binary with the test environment (every inherited `BROKERHUB_*` variable dropped), output to a
    /// log file in `directory`.
    private static func spawn(_ arguments: [String], environment: [String: String], directory: URL) throws -> (Process, URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("\(arguments.first ?? "process")-\(UUID().uuidString.prefix(6)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BROKERHUB_") || $0.key == "BROKERHUB_BINARY" }
        for (name, value) in environment { env[name] = value }
        process.environment = env
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return (process, log)
    }

    /// Runs `brokerhub <arguments>` to completion; returns its exit code and output.
    public static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL) async throws -> (status: Int32, output: String) {
        let worker = try launch(arguments, environment: environment, directory: directory)
        while worker.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        return (worker.process.terminationStatus, worker.output)
    }

    public var isRunning: Bool { process.isRunning }

    private init(process: Process, url: String, directory: URL, log: URL) {
        self.process = process
        self.url = url
        self.directory = directory
        self.log = log
    }

    /// SIGTERM, then SIGKILL once `deadline` has passed; waits without blocking a thread. A child that needed
    /// SIGKILL did not honour its drain deadline: that is recorded as a test issue, with its last output and a
    /// backtrace of every thread (`gdb`, when installed).
    public func stop(deadline: Duration = .seconds(30)) async {
        guard process.isRunning else { return }
        process.terminate()
        if await waitForExit(within: deadline) { return }
        let report = Self.backtrace(of: process.processIdentifier)
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(within: .seconds(10))
        Issue.record("""
            `brokerhub \(process.arguments?.first ?? "")` (pid \(process.processIdentifier)) ignored SIGTERM for \(deadline) and was killed.
            Last output:
            \(output.suffix(3000))
            Threads:
            \(report.suffix(12000))
            """)
    }

    /// Its last output and a backtrace of every thread, for a test that finds it stuck.
    public func diagnosis(outputCharacters: Int = 4000) -> String {
        """
        `brokerhub \(process.arguments?.first ?? "")` (pid \(process.processIdentifier), \(isRunning ? "running" : "exited")). Last output:
        \(output.suffix(outputCharacters))
        Threads:
        \(isRunning ? Self.backtrace(of: process.processIdentifier).suffix(12000) : "")
        """
    }

    /// SIGKILL: a crash. Waits (without blocking a thread) until the process is gone.
    public func kill() async {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(within: .seconds(10))
    }

    /// Polls until the process has exited; false when it still runs after `deadline`.
    public func waitForExit(within deadline: Duration) async -> Bool {
        let end = ContinuousClock.now + deadline
        while process.isRunning {
            if ContinuousClock.now >= end { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// `thread apply all bt` of a running process by `gdb` in batch mode (bounded by `timeout`), or why not.
    static func backtrace(of pid: Int32) -> String {
        guard let gdb = Loopback.executable("gdb"), let timeout = Loopback.executable("timeout") else { return "(gdb is not installed)" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: timeout)
        process.arguments = ["-s", "KILL", "30", gdb, "-p", "\(pid)", "-batch", "-nx", "-ex", "thread apply all bt 30"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return "(gdb did not start: \(error))" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self)
    }

    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// CPU time (user + system, seconds) the process has used so far, from `/proc/{pid}/stat`.
    public var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return -1 }
        // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return -1 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds the process uses while the caller sleeps `seconds`: about zero for an idle process,
    /// `seconds × cores` for one that spins.
    public func cpuSeconds(duringSleepOf seconds: Double) async throws -> Double {
        let before = cpuSeconds
        try await Task.sleep(for: .seconds(seconds))
        return cpuSeconds - before
    }

    /// Resident memory (MiB) from `/proc/{pid}/status`.
    public var residentMiB: Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
        return kib / 1024
    }

    /// A process nobody stopped must not outlive the test run: SIGKILL, without waiting.
    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
