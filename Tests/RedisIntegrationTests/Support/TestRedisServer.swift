import Foundation
import ProcessTestSupport
import Testing

/// A private `redis-server` on a free loopback port (no persistence) for tests that stop, restart, pause or
/// password-protect Redis — things the shared test server must never see.
final class TestRedisServer: @unchecked Sendable {
    let port: Int
    let password: String?
    private var process: Process?
    private let lock = NSLock()

    var url: String {
        if let password { return "redis://:\(password)@127.0.0.1:\(port)/0" }
        return "redis://127.0.0.1:\(port)/0"
    }

    static var isAvailable: Bool { Loopback.executable("redis-server") != nil }

    static func start(password: String? = nil) async throws -> TestRedisServer {
        let server = TestRedisServer(port: try Loopback.freePort(), password: password)
        try await server.launch()
        return server
    }

    private init(port: Int, password: String?) {
        self.port = port
        self.password = password
    }

    /// Starts (again) on the same port.
    func launch() async throws {
        let executable = try #require(Loopback.executable("redis-server"), "redis-server is not installed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--enable-debug-command", "yes", "--logfile", "",
        ]
        if let password { arguments += ["--requirepass", password] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        lock.withLock { self.process = process }
        for _ in 0..<200 {
            if Loopback.accepts(port) { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("redis-server did not start on port \(port)")
        throw CancellationError()
    }

    /// Kills the server (SIGKILL: connections drop at once) and waits for it to exit.
    func kill() async {
        guard let process = lock.withLock({ self.process }), process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        for _ in 0..<500 where process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        for _ in 0..<200 where Loopback.accepts(port) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// Not killed by the test: killed here without waiting (a deinit cannot await).
    deinit {
        if let process = lock.withLock({ self.process }), process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
