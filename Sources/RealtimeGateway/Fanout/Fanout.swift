import BrokerCore
import Collector
import Synchronization

/// The gateway's delivery side: who holds which registration (`FanoutBook`) and, per registration, the
/// outboxes its frames go to. `deliver` runs on the upstream session's task for every frame it receives: a
/// lookup and a push per holder, nothing that waits — a slow client only fills its own outbox.
final class Fanout: Sendable {
    private struct State {
        var book = FanoutBook()
        var outboxes: [GatewayClientID: ClientOutbox] = [:]
        /// Per held registration, the outboxes of its holders (rebuilt when holders change; read per frame).
        var routes: [GatewayKey: [ClientOutbox]] = [:]

        mutating func reroute(_ key: GatewayKey) {
            let holders = book.holders[key] ?? []
            routes[key] = holders.isEmpty ? nil : holders.sorted { $0.value < $1.value }.compactMap { outboxes[$0] }
        }
    }

    private let state = Mutex(State())
    let metrics: GatewayMetrics

    init(metrics: GatewayMetrics) {
        self.metrics = metrics
    }

    func add(_ client: GatewayClientID, outbox: ClientOutbox) {
        state.withLock { $0.outboxes[client] = outbox }
    }

    /// Runs `body` with the book under the lock (hold and release through `hold`/`release` inside it).
    func withBook<T>(_ body: (inout FanoutBook) throws -> T) rethrows -> T {
        try state.withLock { try body(&$0.book) }
    }

    /// Holds `key` for `client`; `upstream` runs (under the lock) when it is the first holder and says whether a
    /// broker session took it — if not, the hold is undone.
    func hold(_ client: GatewayClientID, _ key: GatewayKey, upstream: () -> Bool) -> GatewaySubscribe {
        state.withLock { state in
            switch state.book.hold(client, key) {
            case .already: return .already
            case .shared:
                state.reroute(key)
                return .subscribed
            case .first:
                guard upstream() else {
                    _ = state.book.release(client, key)
                    return .full
                }
                state.reroute(key)
                return .subscribed
            }
        }
    }

    /// Releases `key` for `client`; `upstream` runs (under the lock) when nobody holds it any more. False when
    /// the client did not hold it.
    func release(_ client: GatewayClientID, _ key: GatewayKey, upstream: (GatewayKey) -> Void) -> Bool {
        state.withLock { state in
            guard let last = state.book.release(client, key) else { return false }
            if last { upstream(key) }
            state.reroute(key)
            return true
        }
    }

    /// Forgets `client` and everything it held; `upstream` runs for each registration nobody holds any more.
    func remove(_ client: GatewayClientID, upstream: (GatewayKey) -> Void) {
        state.withLock { state in
            let held = state.book.held[client] ?? []
            state.outboxes[client] = nil
            for key in state.book.remove(client) { upstream(key) }
            for key in held { state.reroute(key) }
        }
    }

    /// Whether `client` holds `key`.
    func holds(_ client: GatewayClientID, _ key: GatewayKey) -> Bool {
        state.withLock { $0.book.holds(client, key) }
    }

    /// Registrations held, clients connected.
    var counts: (registrations: Int, clients: Int) {
        state.withLock { ($0.book.holders.count, $0.outboxes.count) }
    }

    /// Hands an upstream frame to every holder of its registration.
    func deliver(_ frame: String, provider: Provider) {
        switch provider {
        case .kis:
            guard let key = UpstreamRoute.kis(frame) else { return }
            push(frame, to: GatewayKey(.kis, key))
        case .kiwoom:
            for (key, text) in UpstreamRoute.kiwoom(frame) { push(text, to: GatewayKey(.kiwoom, key)) }
        }
    }

    private func push(_ frame: String, to key: GatewayKey) {
        guard let outboxes = state.withLock({ $0.routes[key] }) else { return }
        var dropped = 0
        for outbox in outboxes {
            switch outbox.push(frame) {
            case .queued, .closed: break
            case .droppedOldest: dropped += 1
            case .overflowed:
                dropped += 1
                metrics.disconnectedSlow()
            }
        }
        metrics.delivered(outboxes.count, dropped: dropped, provider: key.provider)
    }
}
