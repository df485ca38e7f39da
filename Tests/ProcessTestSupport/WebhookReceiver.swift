import Foundation
import Hummingbird
import Logging
import Synchronization

/// A local webhook for the tests (alert delivery): records every body POSTed to `/hook`, answering `failing` statuses first.
public final class WebhookReceiver: Sendable {
    private let state = Mutex<(bodies: [String], failing: [Int], refused: Int)>(([], [], 0))
    private let port = Mutex<Int?>(nil)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    /// Answers the first `failing.count` requests with those statuses.
    public init(failing: [Int] = []) {
        state.withLock { $0.failing = failing }
    }

    public var bodies: [String] { state.withLock { $0.bodies } }
    public var refused: Int { state.withLock { $0.refused } }
    public var url: String { "http://127.0.0.1:\(port.withLock { $0 } ?? 0)/hook" }

    /// Starts listening on a free loopback port (or `port`).
    public func start(port requested: Int = 0) async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let status: Int? = self.state.withLock { state in
                if !state.failing.isEmpty {
                    state.refused += 1
                    return state.failing.removeFirst()
                }
                state.bodies.append(body)
                return nil
            }
            return Response(status: status.map { HTTPResponse.Status(code: $0) } ?? .ok)
        }
        let listening = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: requested)),
            onServerRunning: { channel in listening.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: { var logger = Logger(label: "test.webhook"); logger.logLevel = .critical; return logger }()
        )
        task.withLock { $0 = Task { try await app.runService() } }
        for await bound in listening.stream {
            port.withLock { $0 = bound }
            break
        }
    }

    public func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        _ = await running?.result
    }

    /// Waits (in real time: the receiver is a real server) until `count` bodies arrived.
    public func waitForBodies(_ count: Int, timeout: Double = 20) async throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, bodies.count < count { try await Task.sleep(for: .milliseconds(20)) }
        return bodies
    }
}
