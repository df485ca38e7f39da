import PostgresNIO
import Synchronization

/// A TCP forwarder in front of the shared test PostgreSQL that a test can cut (refuse new connections and drop
/// open ones) and restore on the same port — "the database went down" without touching the real server.
final class ArchiverTestProxy: Sendable {
    let port: Int
    private let target: (host: String, port: Int)
    private let group: MultiThreadedEventLoopGroup
    private let state = ProxyState()

    init(targetHost: String, targetPort: Int) async throws {
        target = (targetHost, targetPort)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await Self.bind(port: 0, group: group, target: (targetHost, targetPort), state: state)
        port = server.localAddress?.port ?? 0
        state.mutex.withLock { $0.server = server }
    }

    /// Refuses new connections and drops every open one.
    func cut() async throws {
        let (server, children) = state.mutex.withLock { state in
            defer { state = (nil, [:]) }
            return (state.server, Array(state.children.values))
        }
        try await server?.close()
        for child in children { try? await child.close() }
    }

    /// Accepts connections again on the same port.
    func restore() async throws {
        let server = try await Self.bind(port: port, group: group, target: target, state: state)
        state.mutex.withLock { $0.server = server }
    }

    func shutdown() async throws {
        try await cut()
        try await group.shutdownGracefully()
    }

    private static func bind(
        port: Int, group: MultiThreadedEventLoopGroup, target: (host: String, port: Int),
        state: ProxyState
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                state.mutex.withLock { $0.children[ObjectIdentifier(child)] = child }
                let inbound = ForwardHandler()
                do { try child.pipeline.syncOperations.addHandler(inbound) } catch { return child.eventLoop.makeFailedFuture(error) }
                let outboundHandler = ForwardHandler()
                return ClientBootstrap(group: child.eventLoop)
                    .channelInitializer { outbound in
                        outboundHandler.partner = child
                        return outbound.eventLoop.makeCompletedFuture { try outbound.pipeline.syncOperations.addHandler(outboundHandler) }
                    }
                    .connect(host: target.host, port: target.port)
                    .map { outbound in
                        state.mutex.withLock { $0.children[ObjectIdentifier(outbound)] = outbound }
                        inbound.attach(outbound)
                    }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
    }
}

/// Copies bytes to the partner channel; closes it when this side closes. All on one event loop.
private final class ForwardHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    var partner: (any Channel)?
    private var pending: [ByteBuffer] = []

    func attach(_ partner: any Channel) {
        self.partner = partner
        for buffer in pending { partner.write(buffer, promise: nil) }
        pending.removeAll()
        partner.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if let partner { partner.writeAndFlush(buffer, promise: nil) } else { pending.append(buffer) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

private final class ProxyState: Sendable {
    let mutex = Mutex<(server: (any Channel)?, children: [ObjectIdentifier: any Channel])>((nil, [:]))
}
