import Foundation
import Testing

/// A private `redis-server` with AOF on a free loopback port, for tests that restart Redis mid-run (the
/// shared test server from `scripts/test.sh` must stay up for everyone else).
public final class RedisServerProcess: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private var process: Process?

    public var url: String { "redis://127.0.0.1:\(port)/0" }

    /// Whether `redis-server` is on the PATH (tests skip clearly when it is not).
    public static var isAvailable: Bool { Loopback.executable("redis-server") != nil }

    /// Starts a server with `appendonly yes` and `appendfsync always` (every acknowledged write on disk).
    public static func start() async throws -> RedisServerProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = RedisServerProcess(port: try Loopback.freePort(), directory: directory)
        try await server.launch()
        return server
    }

    private init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
    }

    /// Starts (again) on the same port and data directory: the AOF is replayed.
    public func launch() async throws {
        let executable = try #require(Loopback.executable("redis-server"), "redis-server is not installed (scripts/install-deps.sh installs it)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path, "--appendonly", "yes", "--appendfsync", "always",
            "--save", "", "--logfile", directory.appendingPathComponent("redis.log").path,
        ]
        try process.run()
        self.process = process
        for _ in 0..<100 {
            if Loopback.accepts(port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("redis-server did not start on port \(port)")
        throw CancellationError()
    }

    /// A clean shutdown: the `SHUTDOWN` command (Redis fsyncs the AOF and exits), SIGKILL if it is still
    /// running 10 s later. Not SIGTERM: a child spawned from a test thread inherits that thread's blocked
    /// signal mask, and Redis never sees the signal.
    public func stop() async {
        guard let process, process.isRunning else { return }
        Self.send("*1\r\n$8\r\nSHUTDOWN\r\n", to: port)
        for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// Writes `command` to the server on `port` and waits until it answers or closes the connection.
    static func send(_ command: String, to port: Int) {
        guard let socket = Loopback.connect(port) else { return }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)  // bounded: a wedged server must not wedge the test
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(command.utf8)
        _ = bytes.withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
        var reply = [UInt8](repeating: 0, count: 64)
        _ = read(socket, &reply, reply.count) // returns when Redis closes the connection on exit
    }

    /// Not stopped: killed without waiting (a deinit cannot await).
    deinit {
        if let process, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}
