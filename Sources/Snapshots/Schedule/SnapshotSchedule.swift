import BrokerCore
import Foundation

/// When the next snapshot cycle runs: a pure state machine over the injected clock's instants and the KRX
/// calendar. The runner asks `next(now:)` and performs the action; after a cycle it reports
/// `finished(at:)`. Cycles are due every `interval` from the first; one that runs past the next due time
/// makes the schedule skip the slots it missed (reported in the `CycleReport`), never stack them.
public struct SnapshotSchedule: Sendable {
    /// What the runner does next.
    public enum Action: Sendable, Equatable {
        /// Run cycle `cycle`, due at `due`.
        case run(cycle: Int, due: Date)
        /// The market is closed (`reason`): sleep until it opens.
        case sleep(until: Date, reason: String)
        /// Between cycles: wait for the next one.
        case wait(until: Date)
    }

    /// How a cycle went against its schedule.
    public struct CycleReport: Sendable, Equatable {
        public var cycle: Int
        public var due: Date
        public var startedAt: Date
        public var finishedAt: Date
        /// Start − due: how late the cycle began.
        public var lag: TimeInterval
        public var duration: TimeInterval
        /// Whether it ran past the next cycle's due time.
        public var overran: Bool
        /// Cycles not run because this one overran.
        public var skipped: Int
        /// When the next cycle is due.
        public var nextDue: Date
    }

    enum State: Sendable, Equatable {
        /// No cycle yet, or the market closed since the last one: the next runs as soon as it is open.
        case idle(lastCycle: Int)
        case waiting(lastCycle: Int, due: Date)
        case running(cycle: Int, due: Date, startedAt: Date)
    }

    public let interval: Duration
    public let hours: SnapshotHours
    public let calendar: KRXCalendar
    private(set) var state: State = .idle(lastCycle: 0)

    public init(interval: Duration, hours: SnapshotHours, calendar: KRXCalendar = KRXCalendar()) {
        precondition(interval > .zero, "a snapshot interval must be positive")
        self.interval = interval
        self.hours = hours
        self.calendar = calendar
    }

    /// The last cycle started (0 before the first).
    public var lastCycle: Int {
        switch state {
        case .idle(let cycle), .waiting(let cycle, _): cycle
        case .running(let cycle, _, _): cycle
        }
    }

    /// The next action at `now`. While a cycle runs it answers a wait until that cycle's due time (the runner
    /// must report `finished(at:)` first).
    public mutating func next(now: Date) -> Action {
        switch state {
        case .running(_, let due, _):
            return .wait(until: due)
        case .idle(let last), .waiting(let last, _):
            guard hours.isOpen(at: now, calendar: calendar) else {
                state = .idle(lastCycle: last)
                let reason = hours.closedReason(at: now, calendar: calendar)
                // `always` is never closed; a calendar with no next open sleeps a day and asks again.
                let open = hours.nextOpen(after: now, calendar: calendar) ?? now.addingTimeInterval(86_400)
                return .sleep(until: open, reason: reason)
            }
            var due = now
            if case .waiting(_, let waitingFor) = state { due = waitingFor }
            guard now >= due else { return .wait(until: due) }
            state = .running(cycle: last + 1, due: due, startedAt: now)
            return .run(cycle: last + 1, due: due)
        }
    }

    /// Reports the running cycle finished at `now`; returns how it went. Without a running cycle it
    /// reports nothing (nil).
    public mutating func finished(at now: Date) -> CycleReport? {
        guard case .running(let cycle, let due, let startedAt) = state else { return nil }
        let step = interval.timeInterval
        var nextDue = due.addingTimeInterval(step)
        var skipped = 0
        if now > nextDue {
            let slots = Int((now.timeIntervalSince(due) / step).rounded(.up))
            skipped = slots - 1
            nextDue = due.addingTimeInterval(Double(slots) * step)
        }
        state = .waiting(lastCycle: cycle, due: nextDue)
        return CycleReport(
            cycle: cycle, due: due, startedAt: startedAt, finishedAt: now, lag: startedAt.timeIntervalSince(due),
            duration: now.timeIntervalSince(startedAt), overran: skipped > 0, skipped: skipped, nextDue: nextDue
        )
    }
}
