import BrokerClients
import BrokerCore
import Realtime

/// How one provider's subscriptions are spread over sessions: one session per account (app key), each
/// carrying at most `capacity` registrations; ticks and order books on separate sessions when `split`.
/// Keys that no session can carry are `uncovered` (the collector raises `subscription.cap` for them).
public struct SessionPlan: Sendable, Hashable {
    public struct Assignment: Sendable, Hashable {
        public var account: BrokerAccount
        public var keys: [SubscriptionKey]
        /// `ticker`, `orderbook` or `mixed`.
        public var role: String
    }

    public var assignments: [Assignment]
    public var uncovered: [SubscriptionKey]

    public static func make(accounts: [BrokerAccount], keys: some Sequence<SubscriptionKey>, capacity: Int, split: Bool) -> SessionPlan {
        let capacity = max(1, capacity)
        let sorted = Set(keys).sorted { ($0.symbol, $0.channel.rawValue) < ($1.symbol, $1.channel.rawValue) }
        var chunks: [(role: String, keys: [SubscriptionKey])] = []
        func chunked(_ keys: [SubscriptionKey], role: String) -> [(String, [SubscriptionKey])] {
            stride(from: 0, to: keys.count, by: capacity).map { (role, Array(keys[$0..<min($0 + capacity, keys.count)])) }
        }
        if split {
            let ticks = chunked(sorted.filter { $0.channel == .ticker }, role: "ticker")
            let books = chunked(sorted.filter { $0.channel == .orderbook }, role: "orderbook")
            // Interleave so that with too few accounts both channels still get sessions.
            for index in 0..<max(ticks.count, books.count) {
                if index < ticks.count { chunks.append(ticks[index]) }
                if index < books.count { chunks.append(books[index]) }
            }
        } else {
            chunks = chunked(sorted, role: "mixed")
        }
        var plan = SessionPlan(assignments: [], uncovered: [])
        for (index, chunk) in chunks.enumerated() {
            if index < accounts.count {
                plan.assignments.append(Assignment(account: accounts[index], keys: chunk.keys, role: chunk.role))
            } else {
                plan.uncovered += chunk.keys
            }
        }
        return plan
    }
}
