import NIOCore
import NIOWebSocket

/// Sees a KIS client's WebSocket pong frames, which the WebSocket library consumes before any message reaches
/// the session: KIS's official samples answer `PINGPONG` with `ws.pong(raw)` instead of an echo, and a
/// broker must accept both (reference/kis.md, section 7). Passes every frame on unchanged.
final class PongObserver: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let onPong: @Sendable () -> Void

    init(onPong: @escaping @Sendable () -> Void) {
        self.onPong = onPong
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if unwrapInboundIn(data).opcode == .pong { onPong() }
        context.fireChannelRead(data)
    }

    /// Installs an observer right after the channel's WebSocket frame decoder.
    static func install(on channel: any Channel, onPong: @escaping @Sendable () -> Void) async throws {
        try await channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
            try pipeline.addHandler(PongObserver(onPong: onPong), position: .after(decoder))
        }.get()
    }
}
