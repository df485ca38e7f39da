import Dispatch
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Stamps each request head with the monotonic time its bytes were decoded on the event loop, before any
/// scheduling in the server: the mock counts rate-limit arrivals from this instant, as a broker's gateway
/// would at its edge, so its own task-scheduling delays never show up as (or hide) bunched arrivals.
final class ArrivalStampHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    static let header = HTTPField.Name("x-brokerhub-mock-arrival-ns")!

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var part = unwrapInboundIn(data)
        if case .head(var head) = part {
            head.headerFields[Self.header] = String(DispatchTime.now().uptimeNanoseconds)
            part = .head(head)
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// The stamped instant as a `ContinuousClock` instant (nil when absent).
    static func arrival(fromHeaderValue value: String?) -> ContinuousClock.Instant? {
        guard let value, let stamped = UInt64(value) else { return nil }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now >= stamped else { return nil }
        return ContinuousClock.now - .nanoseconds(Int64(now - stamped))
    }
}
