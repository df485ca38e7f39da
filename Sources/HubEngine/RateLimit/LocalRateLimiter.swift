import BrokerCore
import Foundation
import Synchronization

/// An in-process rolling-log limiter.
///
/// Each acquisition reserves the earliest instant at which one more send fits every budget — no window of
/// `window + jitterAllowance` may hold more than `limit` sends — records it at once (first come, first
/// served, no thundering herd) and sleeps until then. On waking it re-records the send at the instant it
/// really goes out: a worker that woke late would otherwise let later sends bunch up against its own, and
/// the broker counts arrivals. If the late send no longer fits, it queues again. This keeps the budget full
/// under load (sends spaced as tightly as the windows allow) without ever exceeding it.
public final class LocalRateLimiter: RateLimiter {
    private let clock: any HubClock
    private let jitterAllowance: Duration
    private let smoothing: Double
    /// Per budget name: granted send instants, sorted.
    private let logs = Mutex<[String: [Date]]>([:])

    /// - Parameters:
    ///   - jitterAllowance: added to every window, to absorb network jitter between send and arrival.
    ///   - smoothing: consecutive sends of a budget are at least `smoothing × window / limit` apart, so an
    ///     idle budget is not spent in one burst (bursts are what network and CPU jitter compress into a
    ///     violation). 0 turns it off; it never lowers the steady-state rate.
    public init(clock: any HubClock = SystemClock(), jitterAllowance: Duration = .milliseconds(40), smoothing: Double = 1.0) {
        self.clock = clock
        self.jitterAllowance = jitterAllowance
        self.smoothing = max(0, min(1, smoothing))
    }

    public func acquire(_ budgets: [RateBudget], deadline: Date?) async throws {
        for budget in budgets where budget.limit <= 0 {
            throw BrokerHubError(.invalidConfiguration, "budget \(budget.name) allows no sends")
        }
        while true {
            try Task.checkCancellation()
            let slot = try reserve(budgets, deadline: deadline)
            if slot > clock.now {
                do {
                    try await clock.sleep(until: slot)
                } catch {
                    release(budgets, slot: slot)
                    throw error
                }
            }
            if commit(budgets, slot: slot, actual: max(slot, clock.now)) { return }
        }
    }

    private func span(_ budget: RateBudget) -> TimeInterval { (budget.window + jitterAllowance).timeInterval }

    /// Records the earliest instant one more send fits every budget and returns it.
    private func reserve(_ budgets: [RateBudget], deadline: Date?) throws -> Date {
        let now = clock.now
        return try logs.withLock { logs -> Date in
            var slot = now
            for budget in budgets {
                var log = logs[budget.name] ?? []
                let horizon = now.addingTimeInterval(-2 * span(budget))
                if let keep = log.firstIndex(where: { $0 >= horizon }), keep > 0 { log.removeFirst(keep) } else if log.last.map({ $0 < horizon }) == true { log.removeAll() }
                logs[budget.name] = log
                // Grants go in order per budget, so each log stays sorted and the send `limit` places back
                // bounds the next one.
                if let last = log.last { slot = max(slot, last.addingTimeInterval(smoothing * budget.window.timeInterval / Double(budget.limit))) }
                if log.count >= budget.limit { slot = max(slot, log[log.count - budget.limit].addingTimeInterval(span(budget))) }
            }
            if let deadline, slot > deadline {
                throw BrokerHubError(.deadlineExceeded, "no send slot before the deadline (next at \(KST.iso8601(slot)))")
            }
            for budget in budgets { logs[budget.name, default: []].append(slot) }
            return slot
        }
    }

    /// Moves a reservation to the instant the send really happens; false (and the reservation dropped)
    /// when it no longer fits there.
    private func commit(_ budgets: [RateBudget], slot: Date, actual: Date) -> Bool {
        logs.withLock { logs -> Bool in
            for budget in budgets { Self.remove(slot, from: &logs[budget.name, default: []]) }
            // Only sends at or before `actual` bind it: later reservations were placed against this send's
            // original slot and are checked when they commit. Judging a late send against them too made every
            // late waker re-queue behind them, and each re-queue made the next one late: a livelock.
            for budget in budgets where !Self.fits(actual, in: (logs[budget.name] ?? []).filter { $0 <= actual }, limit: budget.limit, span: span(budget)) {
                return false
            }
            for budget in budgets { Self.insert(actual, into: &logs[budget.name, default: []]) }
            return true
        }
    }

    private func release(_ budgets: [RateBudget], slot: Date) {
        logs.withLock { logs in
            for budget in budgets { Self.remove(slot, from: &logs[budget.name, default: []]) }
        }
    }

    /// Whether adding a send at `instant` keeps every window of length `span` that contains it at `limit`
    /// sends or fewer.
    static func fits(_ instant: Date, in log: [Date], limit: Int, span: TimeInterval) -> Bool {
        var sends = log
        insert(instant, into: &sends)
        // Windows that contain `instant` start at a send in (instant - span, instant]. A microsecond of
        // tolerance keeps a send placed exactly `span` after another (as `reserve` places it) from being
        // judged against floating-point noise.
        let span = span - 1e-6
        var end = 0
        for (start, opening) in sends.enumerated() {
            guard opening <= instant else { break }
            guard opening > instant.addingTimeInterval(-span) else { continue }
            end = max(end, start)
            while end < sends.count, sends[end] < opening.addingTimeInterval(span) { end += 1 }
            if end - start > limit { return false }
        }
        return true
    }

    static func insert(_ instant: Date, into log: inout [Date]) {
        let index = log.lastIndex(where: { $0 <= instant }).map { $0 + 1 } ?? 0
        log.insert(instant, at: index)
    }

    static func remove(_ instant: Date, from log: inout [Date]) {
        if let index = log.lastIndex(of: instant) { log.remove(at: index) }
    }
}
