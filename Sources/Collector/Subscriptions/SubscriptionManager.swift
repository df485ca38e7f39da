import Foundation

/// Desired versus confirmed subscriptions of one session, with the requests in flight. Pure: the session
/// machine asks it what to send and tells it what the broker answered.
///
/// Every pending entry is removed by exactly one of: an ack (success or refusal), its timeout, or a
/// disconnect — so churn never leaves pending state behind.
public struct SubscriptionManager: Sendable {
    public enum Operation: String, Sendable, Hashable {
        case subscribe, unsubscribe
    }

    /// One registration request to send.
    public struct Request: Sendable, Hashable {
        public var key: SubscriptionKey
        public var operation: Operation
    }

    /// A request waiting for its ack.
    public struct Pending: Sendable, Hashable {
        public var operation: Operation
        public var deadline: Date
    }

    /// How the broker answered (or did not).
    public enum Outcome: Sendable, Hashable {
        /// Subscribed, or already subscribed.
        case confirmed
        /// Unsubscribed, or was not subscribed.
        case removed
        /// Refused with a code; not retried until the key is wanted again or the session restarts.
        case refused(String)
        /// The broker's registration cap is reached: stop adding on this session.
        case capReached
    }

    /// Registrations this session may hold (KIS: 41).
    public let capacity: Int
    /// How long to wait for an ack before giving the request up.
    public var ackTimeout: Duration
    public private(set) var desired: Set<SubscriptionKey> = []
    public private(set) var confirmed: Set<SubscriptionKey> = []
    public private(set) var pending: [SubscriptionKey: Pending] = [:]
    public private(set) var refused: Set<SubscriptionKey> = []
    /// Set when the broker said the cap is reached; cleared when the session restarts.
    public private(set) var capReached = false

    public init(capacity: Int = 41, ackTimeout: Duration = .seconds(10)) {
        self.capacity = capacity
        self.ackTimeout = ackTimeout
    }

    /// Adds keys to the desired set.
    public mutating func want(_ keys: some Sequence<SubscriptionKey>) {
        for key in keys {
            desired.insert(key)
            refused.remove(key)
        }
    }

    /// Removes keys from the desired set (they are unsubscribed once confirmed).
    public mutating func drop(_ keys: some Sequence<SubscriptionKey>) {
        for key in keys { desired.remove(key) }
    }

    /// Requests to send now, marked pending: unsubscribes first (they free capacity), then subscribes while
    /// capacity allows and the broker has not reported its cap.
    public mutating func nextRequests(now: Date) -> [Request] {
        var requests: [Request] = []
        let deadline = now.addingTimeInterval(ackTimeout.timeInterval)
        for key in confirmed.subtracting(desired).sorted() where pending[key] == nil {
            pending[key] = Pending(operation: .unsubscribe, deadline: deadline)
            requests.append(Request(key: key, operation: .unsubscribe))
        }
        guard !capReached else { return requests }
        var used = confirmed.count + pending.values.count { $0.operation == .subscribe }
        for key in desired.subtracting(confirmed).subtracting(refused).sorted() where pending[key] == nil {
            guard used < capacity else { break }
            pending[key] = Pending(operation: .subscribe, deadline: deadline)
            requests.append(Request(key: key, operation: .subscribe))
            used += 1
        }
        return requests
    }

    /// Records the broker's answer for `key`; returns the operation that was pending, if any.
    @discardableResult
    public mutating func resolve(_ key: SubscriptionKey, _ outcome: Outcome) -> Operation? {
        let operation = pending.removeValue(forKey: key)?.operation
        switch outcome {
        case .confirmed: confirmed.insert(key)
        case .removed: confirmed.remove(key)
        case .refused: refused.insert(key)
        case .capReached: capReached = true
        }
        return operation
    }

    /// Gives up requests whose ack did not come in time; subscribes are retried by a later `nextRequests`.
    public mutating func expire(now: Date) -> [Request] {
        let late = pending.filter { $0.value.deadline <= now }
        for key in late.keys { pending.removeValue(forKey: key) }
        return late.map { Request(key: $0.key, operation: $0.value.operation) }.sorted { $0.key < $1.key }
    }

    /// The connection is gone: nothing is pending or confirmed any more; every desired key is requested
    /// again after reconnect. Returns how many confirmed registrations must be restored.
    @discardableResult
    public mutating func disconnected() -> Int {
        let restore = confirmed.intersection(desired).count
        pending.removeAll()
        confirmed.removeAll()
        refused.removeAll()
        capReached = false
        return restore
    }

    /// Treats every confirmed registration as unconfirmed so `nextRequests` sends it again.
    public mutating func forgetConfirmed() {
        confirmed.removeAll()
    }

    /// Desired keys this session cannot carry: beyond its capacity, or refused by the broker's cap.
    public var uncovered: [SubscriptionKey] {
        let open = desired.subtracting(confirmed).subtracting(pending.keys).subtracting(refused)
        let free = capReached ? 0 : max(0, capacity - confirmed.count - pending.count)
        return Array(open.sorted().dropFirst(free))
    }
}
