import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP forwarder in front of a server (PostgreSQL, Redis) that a test controls, for outages the
/// real server cannot stage:
/// - `cut()`: every open connection is closed and new ones are refused ("the database went down");
/// - `drop()`: every open connection is closed, new ones are accepted (a network blip, a load balancer);
/// - `blackhole(true)`: connections stay open but no byte passes either way (a half-dead peer: only a
///   deadline notices);
/// - `restore()`: accepts again on the same port.
public final class TCPProxy: Sendable {
    public let port: Int
    private let target: (host: String, port: Int)
    private let group: MultiThreadedEventLoopGroup
    private let state = ProxyState()

    public init(targetHost: String, targetPort: Int) async throws {
        target = (targetHost, targetPort)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await Self.bind(port: 0, group: group, target: (targetHost, targetPort), state: state)
        port = server.localAddress?.port ?? 0
        state.mutex.withLock { $0.server = server }
    }

    /// Connections open through the proxy right now (both sides count).
    public var openConnections: Int { state.mutex.withLock { $0.children.count } }

    /// Refuses new connections and drops every open one.
    public func cut() async throws {
        let server = state.mutex.withLock { state in
            defer { state.server = nil }
            return state.server
        }
        try await server?.close()
        await drop()
    }

    /// Drops every open connection; new ones are still accepted.
    public func drop() async {
        let children = state.mutex.withLock { state in
            defer { state.children = [:] }
            return Array(state.children.values)
        }
        for child in children { try? await child.close() }
    }

    /// While on, bytes are swallowed in both directions (connections stay open).
    public func blackhole(_ on: Bool) {
        state.blackholed.store(on, ordering: .sequentiallyConsistent)
    }

    /// Accepts connections again on the same port.
    public func restore() async throws {
        blackhole(false)
        guard state.mutex.withLock({ $0.server == nil }) else { return }
        let server = try await Self.bind(port: port, group: group, target: target, state: state)
        state.mutex.withLock { $0.server = server }
    }

    public func shutdown() async throws {
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
                let inbound = ForwardHandler(state: state)
                do { try child.pipeline.syncOperations.addHandler(inbound) } catch { return child.eventLoop.makeFailedFuture(error) }
                let outboundHandler = ForwardHandler(state: state)
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

/// Copies bytes to the partner channel (unless blackholed); closes it when this side closes. All on one
/// event loop.
private final class ForwardHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    var partner: (any Channel)?
    private var pending: [ByteBuffer] = []
    private let state: ProxyState

    init(state: ProxyState) {
        self.state = state
    }

    func attach(_ partner: any Channel) {
        self.partner = partner
        for buffer in pending { partner.write(buffer, promise: nil) }
        pending.removeAll()
        partner.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !state.blackholed.load(ordering: .sequentiallyConsistent) else { return }
        let buffer = unwrapInboundIn(data)
        if let partner { partner.writeAndFlush(buffer, promise: nil) } else { pending.append(buffer) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.mutex.withLock { _ = $0.children.removeValue(forKey: ObjectIdentifier(context.channel)) }
        partner?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

private final class ProxyState: Sendable {
    let mutex = Mutex<(server: (any Channel)?, children: [ObjectIdentifier: any Channel])>((nil, [:]))
    let blackholed = Atomic(false)
}
