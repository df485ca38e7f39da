import BrokerCore
import Foundation
import HubEngine
import Synchronization

/// Hub-local tokens handed to clients of the broker-native proxy: the real broker token never leaves the
/// hub. A local token only says "this caller asked the hub for a token"; it grants nothing at the broker.
///
/// Bounded: at most `capacity` live tokens; past it the oldest is dropped (its client gets a 401 and asks
/// again, as it does when a token expires). Every token lives `lifetime`, so they expire in the order they
/// were issued: issuing drops the expired ones from the front, in constant time on average, instead of
/// scanning them all (issue #18 item 10: 30,000 tokens had made every issue 3× slower).
public final class LocalTokens: Sendable {
    private struct State {
        var expiries: [String: Date] = [:]
        /// Tokens in issue order; `order[head...]` are the ones not yet dropped.
        var order: [String] = []
        var head = 0

        mutating func dropOldest() {
            expiries.removeValue(forKey: order[head])
            head += 1
            if head > 1_024, head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
        }
    }

    private let state = Mutex(State())
    private let clock: any HubClock
    public let lifetime: TimeInterval
    public let capacity: Int

    public init(clock: any HubClock, lifetime: TimeInterval = 86_400, capacity: Int = 10_000) {
        self.clock = clock
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// Tokens held now (live ones, and revoked ones not yet dropped from the order).
    public var count: Int { state.withLock { $0.expiries.count } }

    /// A fresh local token and its expiry.
    public func issue() -> (value: String, expiresAt: Date) {
        let value = "bh_" + (0..<3).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }.joined()
        let now = clock.now
        let expiry = now.addingTimeInterval(lifetime)
        state.withLock { state in
            while state.head < state.order.count {
                let oldest = state.order[state.head]
                let full = state.expiries.count >= capacity || state.order.count - state.head >= 2 * capacity
                guard full || (state.expiries[oldest] ?? .distantPast) <= now else { break }
                state.dropOldest()
            }
            state.expiries[value] = expiry
            state.order.append(value)
        }
        return (value, expiry)
    }

    public func isValid(_ value: String) -> Bool {
        state.withLock { ($0.expiries[value] ?? .distantPast) > clock.now }
    }

    public func revoke(_ value: String) {
        state.withLock { _ = $0.expiries.removeValue(forKey: value) }
    }
}
