import NIOCore
import RedisWire

/// Adapts the pure ``RESPDecoder`` to NIO's `ByteToMessageDecoder`.
struct RESPMessageDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    private var decoder = RESPDecoder()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try decoder.decode(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
