import HTTPTypes
import Metrics
import NIOCore
import NIOHTTPTypes

/// Performs `RequestReadDeadline` on one connection: a client that has not sent its request in time gets
/// 408 `request.timeout` and the connection is closed (counted in `brokerhub_http_errors_total`).
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var deadline = RequestReadDeadline()
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { perform(deadline.opened(), context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(deadline.opened(), context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: perform(deadline.headReceived(), context)
        case .end: perform(deadline.endReceived(), context)
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { perform(deadline.responseEnded(), context) }
        context.write(data, promise: promise)
    }

    private func perform(_ action: RequestReadDeadline.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .none: return
        case .disarm:
            timer?.cancel()
            timer = nil
        case .arm:
            timer?.cancel()
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: timeout) {
                let (handler, context) = loopBound.value
                handler.expire(context)
            }
        }
    }

    private func expire(_ context: ChannelHandlerContext) {
        timer = nil
        Counter(label: "brokerhub_http_errors_total", dimensions: [("code", "request.timeout")]).increment()
        guard deadline.expired() == .answerTimeout else {
            context.close(promise: nil)
            return
        }
        let body = ByteBuffer(string: #"{"error":{"code":"request.timeout","message":"the request was not received in time"}}"#)
        var fields: HTTPFields = [.contentType: "application/json; charset=utf-8", .connection: "close"]
        fields[.contentLength] = String(body.readableBytes)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .requestTimeout, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
