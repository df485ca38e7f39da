import BrokerCore
import BrokerWire
import Collector
import Foundation
import Synchronization

/// One client connected to the gateway: its outbox (what the socket writes) and its protocol state. The
/// socket that serves it reads `next()` and hands every message it receives to `RealtimeGateway.receive`.
public final class GatewayClient: Sendable {
    struct State {
        /// Kiwoom: the connection's `LOGIN` was accepted.
        var loggedIn = false
        /// Kiwoom: the registrations of each group (a registration is held while any group has it).
        var groups: [String: Set<SubscriptionKey>] = [:]
        /// Requests in the current one-second window.
        var windowStart: Date = .distantPast
        var requests = 0
    }

    public let id: GatewayClientID
    public let provider: Provider
    let outbox: ClientOutbox
    let state = Mutex(State())

    init(id: GatewayClientID, provider: Provider, outbox: ClientOutbox) {
        self.id = id
        self.provider = provider
        self.outbox = outbox
    }

    /// The next frames to send (the broker's data frames, answers, heartbeats, and a notice when frames were
    /// dropped for this client); nil once the client is to be closed (`closedFor` says why).
    public func next() async -> [String]? {
        guard let batch = await outbox.next() else { return nil }
        guard batch.dropped > 0 else { return batch.frames }
        let notice = provider == .kis ? KISClientProtocol.droppedNotice(batch.dropped) : KiwoomClientProtocol.droppedNotice(batch.dropped)
        return batch.frames + [notice]
    }

    /// Queues the broker's heartbeat (`PINGPONG` for KIS, `PING` for Kiwoom).
    public func heartbeat(at now: Date) {
        outbox.reply(provider == .kis ? RealtimeControlText.kisPingPong(at: now) : RealtimeControlText.kiwoomPing)
    }

    /// Why the client is being closed, once it is.
    public var closedFor: String? { outbox.closedFor }

    /// Frames dropped for this client so far.
    public var dropped: Int { outbox.dropped }

    /// Counts a request in the client's one-second window; false past `limit`.
    func admit(at now: Date, limit: Int) -> Bool {
        state.withLock { state in
            if now.timeIntervalSince(state.windowStart) >= 1 || now < state.windowStart {
                state.windowStart = now
                state.requests = 0
            }
            state.requests += 1
            return state.requests <= limit
        }
    }
}
