import Foundation
import Testing

/// A Redis and a PostgreSQL of the test's own, started by `scripts/services.sh start <dir>` exactly as
/// `scripts/test.sh` starts the shared pair, for tests that stop PostgreSQL: the shared one serves other
/// suites. `stop()` tears both down.
struct PrivateServices {
    let directory: URL
    let redisURL: String
    let postgresURL: String

    static func start() async throws -> PrivateServices {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-services-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let status = try await script("start", directory)
        try #require(status == 0, "scripts/services.sh start exited \(status)")
        let env = try String(contentsOf: directory.appendingPathComponent("env"), encoding: .utf8)
        func value(_ name: String) throws -> String {
            let line = try #require(env.split(separator: "\n").first { $0.hasPrefix("export \(name)=") }, "\(name) missing from services env")
            return String(line.dropFirst("export \(name)=".count))
        }
        return PrivateServices(directory: directory, redisURL: try value("BROKERHUB_TEST_REDIS_URL"), postgresURL: try value("BROKERHUB_TEST_POSTGRES_URL"))
    }

    /// `scripts/services.sh postgres-stop|postgres-start <dir>`; the exit status.
    func postgres(_ command: String) async throws -> Int32 { try await Self.script("postgres-\(command)", directory) }

    func stop() async {
        _ = try? await Self.script("stop", directory)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs the script without blocking a thread of the cooperative pool (its output goes to the test's).
    /// Started through perl (in every Debian/Ubuntu base system), which first
    /// - closes every descriptor above stderr: Foundation learns that a child exited when a socket it hands
    ///   the child reaches EOF, and the servers the script starts would hold it open for ever (the child
    ///   was then never reaped and the test hung);
    /// - empties the signal mask: threads of this test process block signals, and the servers would
    ///   inherit that and ignore SIGTERM.
    private static func script(_ command: String, _ directory: URL) async throws -> Int32 {
        let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("scripts/services.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        process.arguments = ["-MPOSIX", "-e", "POSIX::close($_) for 3..1023; sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; exec @ARGV or die", "--", "/bin/bash", script, command, directory.path]
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        return process.terminationStatus
    }
}
