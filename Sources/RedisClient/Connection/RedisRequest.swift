import NIOCore
import RedisWire

/// Encoded commands written in one go, answered by `replyCount` replies in order.
struct RedisRequest: Sendable {
    var bytes: ByteBuffer
    var replyCount: Int
    var timeout: TimeAmount?
    var promise: EventLoopPromise<[RESPValue]>?
}
