import BrokerCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// Serves a `MockBroker` over HTTP and WebSocket on one port: KIS REST, Kiwoom REST, the Kiwoom WebSocket at
/// `/api/dostk/websocket` and the KIS WebSocket at any other path (KIS ignores the path).
public struct MockBrokerServer: Service {
    public let broker: MockBroker
    private let onStart: @Sendable (Int) async -> Void

    /// - Parameter onStart: called with the bound port once the server listens.
    public init(broker: MockBroker, onStart: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.broker = broker
        self.onStart = onStart
    }

    public func run() async throws {
        let broker = self.broker
        let onStart = self.onStart
        let connections = OpenConnections()
        let app = Application(
            responder: MockResponder(broker: broker),
            server: .http1WebSocketUpgrade(
                configuration: .init(http1: .init(additionalChannelHandlers: [ArrivalStampHandler()]))
            ) { head, channel, _ in
                connections.add(channel)
                let path = head.path ?? "/"
                let handler: WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
                if path.hasPrefix("/api/dostk/websocket") {
                    handler = { inbound, outbound, _ in
                        try await MockRealtimeRunner(broker: broker, channel: channel, session: KiwoomRealtimeSession(broker: broker)).run(inbound: inbound, outbound: outbound)
                    }
                } else {
                    handler = { inbound, outbound, _ in
                        try await MockRealtimeRunner(broker: broker, channel: channel, session: KISRealtimeSession(broker: broker)).run(inbound: inbound, outbound: outbound)
                    }
                }
                return .upgrade([:], handler)
            },
            configuration: .init(address: .hostname(broker.configuration.host, port: broker.configuration.port), serverName: "brokerhub-mock"),
            onServerRunning: { channel in
                await onStart(channel.localAddress?.port ?? 0)
            },
            logger: broker.logger
        )
        // Stopping closes what is still open a second later (see `OpenConnections`).
        try await withGracefulShutdownHandler {
            try await app.runService()
        } onGracefulShutdown: {
            connections.closeAll(after: .seconds(1))
        }
    }

    /// Runs a mock broker for the duration of `body` (for tests and benchmarks); `body` gets the broker and
    /// its base URL (`http://127.0.0.1:PORT`).
    public static func withRunning<Result: Sendable>(
        _ configuration: MockBrokerConfiguration,
        logger: Logger = Logger(label: "brokerhub.mock"),
        _ body: @Sendable (MockBroker, String) async throws -> Result
    ) async throws -> Result {
        let broker = MockBroker(configuration: configuration, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = MockBrokerServer(broker: broker) { port in continuation.yield(port) }
        let services = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await services.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                _ = try await group.next()
                throw CancellationError()
            }
            do {
                let result = try await body(broker, "http://\(configuration.host):\(port)")
                await services.triggerGracefulShutdown()
                try await group.waitForAll()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

/// Hummingbird glue: turns requests into `MockRequest`s for the broker.
struct MockResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let broker: MockBroker

    func respond(to request: Request, context: Context) async throws -> Response {
        let received = ArrivalStampHandler.arrival(fromHeaderValue: request.headers[ArrivalStampHandler.header]) ?? ContinuousClock.now
        let body = try await request.body.collect(upTo: 1 << 20)
        var mockRequest = MockRequest(
            method: request.method.rawValue,
            rawPath: request.head.path ?? "/",
            headers: request.headers.filter { $0.name != ArrivalStampHandler.header }.map { ($0.name.rawName, $0.value) },
            body: Array(buffer: body)
        )
        mockRequest.received = received
        let answer = await broker.handle(mockRequest)
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body))
        )
    }
}
