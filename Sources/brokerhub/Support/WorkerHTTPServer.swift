import BrokerWire
import Foundation
import HubServer
import Hummingbird
import Logging
import ServiceLifecycle

/// The operations endpoints of a worker process (archiver, collector): `GET /health` (the process runs), `GET /ready`
/// (200, or 503 with the reason from `readiness`) and `GET /metrics` (Prometheus text of the process's
/// swift-metrics). Loopback by default.
struct WorkerHTTPServer: Service {
    /// nil when ready; otherwise why not (the 503 body's reason).
    typealias Readiness = @Sendable () -> String?

    let host: String
    let port: Int
    let readiness: Readiness
    /// The process's status JSON for `GET /status`, when it has one.
    var status: (@Sendable () -> String)? = nil
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void

    /// An endpoint on `host` (loopback by default; `0.0.0.0` in a container, for Prometheus — it serves no
    /// secret and takes no command) and `port` (0: any free port) that logs its URL as `what` and, once it
    /// listens, writes the URL to `readyFile` (for scripts and tests that start the process).
    static func endpoint(
        host: String = "127.0.0.1", port: Int, what: String, readyFile: String?, logger: Logger, status: (@Sendable () -> String)? = nil,
        readiness: @escaping Readiness
    ) -> WorkerHTTPServer {
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return WorkerHTTPServer(host: host, port: port, readiness: readiness, status: status, logger: logger) { port in
            logger.info("\(what) operations endpoint", metadata: ["http.url": "http://\(shown):\(port)", "http.host": "\(host)"])
            if let readyFile { try? Data("http://\(shown):\(port)\n".utf8).write(to: URL(fileURLWithPath: readyFile), options: .atomic) }
        }
    }

    /// The process must have called `HubMetrics.bootstrap()` before it created any metric.
    func run() async throws {
        let router = Router()
        router.get("/health") { _, _ in Self.json(.ok, ["status": "ok"]) }
        let readiness = self.readiness
        router.get("/ready") { _, _ in
            if let reason = readiness() { return Self.json(.serviceUnavailable, ["ready": "false", "reason": reason]) }
            return Self.json(.ok, ["ready": "true"])
        }
        if let status {
            router.get("/status") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: status())))
            }
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: HubMetrics.render())))
        }
        let onListening = self.onListening
        let app = Application(
            router: router, server: HTTPServerLimits().server,
            configuration: HTTPServerLimits().configuration(address: .hostname(host, port: port), serverName: "brokerhub-worker"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger
        )
        try await app.runService()
    }

    private static func json(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
        var object = JSONWriter.Object()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            if value == "true" || value == "false" { object.add(name, value == "true") } else { object.add(name, value) }
        }
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: object.json)))
    }
}
