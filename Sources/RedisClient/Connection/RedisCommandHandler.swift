import NIOCore
import RedisWire

/// Matches replies to in-flight requests in FIFO order; times requests out and closes the channel then,
/// since later replies would no longer line up. Values that arrive while nothing is pending (or RESP3 pushes)
/// go to `onPush` (Pub/Sub).
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<[RESPValue]>?
        var remaining: Int
        var replies: [RESPValue]
        var timeoutTask: Scheduled<Void>?
        var id: UInt64
    }

    private var pending = CircularBuffer<Pending>()
    private var nextID: UInt64 = 0
    private let onPush: (@Sendable (RESPValue) -> Void)?
    private var closedError: RedisError?

    init(onPush: (@Sendable (RESPValue) -> Void)? = nil) {
        self.onPush = onPush
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise writePromise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let closedError {
            request.promise?.fail(closedError)
            writePromise?.fail(closedError)
            return
        }
        if request.replyCount > 0 {
            nextID &+= 1
            let id = nextID
            var timeoutTask: Scheduled<Void>?
            if let timeout = request.timeout {
                timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
                    self?.timedOut(id: id, after: timeout, context: context)
                }
            }
            var replies: [RESPValue] = []
            replies.reserveCapacity(request.replyCount)
            pending.append(Pending(promise: request.promise, remaining: request.replyCount, replies: replies, timeoutTask: timeoutTask, id: id))
        } else {
            request.promise?.succeed([])
        }
        context.write(wrapOutboundOut(request.bytes), promise: writePromise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        if Self.isPush(value) || (onPush != nil && pending.isEmpty) {
            // RESP3 out-of-band data (or RESP2 Pub/Sub messages) never answers a command.
            onPush?(value)
            return
        }
        guard !pending.isEmpty else {
            fail(RedisError(.protocolViolation, "unexpected reply with no command in flight"), context: context)
            return
        }
        pending[pending.startIndex].replies.append(value)
        pending[pending.startIndex].remaining -= 1
        if pending[pending.startIndex].remaining == 0 {
            let done = pending.removeFirst()
            done.timeoutTask?.cancel()
            done.promise?.succeed(done.replies)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let redisError: RedisError
        if let error = error as? RedisError {
            redisError = error
        } else if error is RESPDecodingError {
            redisError = RedisError(.protocolViolation, "invalid RESP from server", underlying: error)
        } else {
            redisError = RedisError(.closed, "connection error", underlying: error)
        }
        fail(redisError, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(closedError ?? RedisError(.closed, "connection closed"))
        context.fireChannelInactive()
    }

    private func timedOut(id: UInt64, after timeout: TimeAmount, context: ChannelHandlerContext) {
        guard pending.contains(where: { $0.id == id }) else { return }
        let ms = timeout.nanoseconds / 1_000_000
        fail(RedisError(.timeout, "no reply within \(ms) ms; connection closed"), context: context, onlyID: id)
    }

    /// Fails the request `onlyID` (or all) with `error`, every other in-flight request with `.closed`, and closes.
    private func fail(_ error: RedisError, context: ChannelHandlerContext, onlyID: UInt64? = nil) {
        guard closedError == nil else { return }
        if let onlyID {
            closedError = RedisError(.closed, "connection closed after a timeout")
            if let index = pending.firstIndex(where: { $0.id == onlyID }) {
                let timed = pending.remove(at: index)
                timed.promise?.fail(error)
            }
            failAll(closedError!)
        } else {
            closedError = error
            failAll(error)
        }
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        while let item = pending.popFirst() {
            item.timeoutTask?.cancel()
            item.promise?.fail(error)
        }
    }

    private static func isPush(_ value: RESPValue) -> Bool {
        if case .push = value { return true }
        return false
    }
}
