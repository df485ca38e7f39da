import BrokerCore
import Foundation
import Synchronization

/// An in-process rolling-log limiter. Each acquisition reserves the earliest instant at which a send fits
/// every budget — i.e. at least `window + jitterAllowance` after the send `limit` places earlier — records
/// it at once (so callers are served first come, first served, with no thundering herd) and sleeps until
/// then. Keeps the budget full under load: sends are spaced exactly as tightly as the windows allow.
public final class LocalRateLimiter: RateLimiter {
    private let clock: any HubClock
    private let jitterAllowance: Duration
    private let logs = Mutex<[String: [Date]]>([:])

    public init(clock: any HubClock = SystemClock(), jitterAllowance: Duration = .milliseconds(30)) {
        self.clock = clock
        self.jitterAllowance = jitterAllowance
    }

    public func acquire(_ budgets: [RateBudget], deadline: Date?) async throws {
        try Task.checkCancellation()
        let now = clock.now
        let slot = try logs.withLock { logs -> Date in
            var slot = now
            for budget in budgets {
                guard budget.limit > 0 else {
                    throw BrokerHubError(.invalidConfiguration, "budget \(budget.name) allows no sends")
                }
                let log = logs[budget.name] ?? []
                // Slots are granted in order per budget, so each log stays sorted.
                if let last = log.last { slot = max(slot, last) }
                if log.count >= budget.limit {
                    let span = (budget.window + jitterAllowance).timeInterval
                    slot = max(slot, log[log.count - budget.limit].addingTimeInterval(span))
                }
            }
            if let deadline, slot > deadline {
                throw BrokerHubError(.deadlineExceeded, "no send slot before the deadline (next at \(KST.iso8601(slot)))")
            }
            for budget in budgets {
                var log = logs[budget.name] ?? []
                log.append(slot)
                // Only the last `limit` sends can constrain the next one.
                if log.count > budget.limit { log.removeFirst(log.count - budget.limit) }
                logs[budget.name] = log
            }
            return slot
        }
        if slot > now { try await clock.sleep(until: slot) }
    }
}

extension BrokerHubError.Code {
    /// A deadline passed before the work could be done.
    public static let deadlineExceeded = BrokerHubError.Code(rawValue: "hub.deadline")
    /// The provider's circuit is open: calls fail fast.
    public static let circuitOpen = BrokerHubError.Code(rawValue: "hub.circuit_open")
    /// The queue is full.
    public static let queueFull = BrokerHubError.Code(rawValue: "hub.queue_full")
    /// The hub is shutting down or a backend is unavailable.
    public static let unavailable = BrokerHubError.Code(rawValue: "hub.unavailable")
    /// The caller is not allowed.
    public static let unauthorized = BrokerHubError.Code(rawValue: "hub.unauthorized")
}
