import Foundation

/// Whether the archiver is keeping up — pure bookkeeping the archiver feeds and its watch reads.
///
/// "Stalled for s seconds" means: events taken from the bus (or waiting in the spool) are not in the
/// database yet, and no batch has been committed for s seconds. An idle archiver (nothing pending) is never
/// stalled, however long ago its last commit was; a database outage that makes it spool is a stall — the
/// events are safe, but not where readers look for them.
public struct ArchiverProgress: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Everything taken from the bus is committed.
        case idle(lastCommit: Date?)
        /// Events are waiting for the database since `since` (the later of the first pending event and the
        /// last commit).
        case pending(since: Date, lastCommit: Date?)
    }

    /// What the watch should do after looking.
    public enum Alert: Sendable, Equatable {
        case none
        /// The stall just passed the threshold.
        case raised(seconds: Double)
        /// A stall that had raised an alert is over.
        case cleared(seconds: Double)
    }

    public private(set) var state: State = .idle(lastCommit: nil)
    /// Whether an alert is raised now.
    public private(set) var alerting = false
    /// The start of the last bus read that found nothing new while idle (see `caughtUp(since:)`).
    public private(set) var caughtUpAt: Date?

    public init() {}

    /// Events were taken from the bus (or found in the spool at start).
    public mutating func received(at now: Date) {
        if case .idle(let lastCommit) = state { state = .pending(since: now, lastCommit: lastCommit) }
    }

    /// A batch was committed: the stall clock starts again.
    public mutating func committed(at now: Date) {
        switch state {
        case .idle: state = .idle(lastCommit: now)
        case .pending: state = .pending(since: now, lastCommit: now)
        }
    }

    /// Nothing taken from the bus is left uncommitted (no batch in hand, spool empty).
    public mutating func drained() {
        if case .pending(_, let lastCommit) = state { state = .idle(lastCommit: lastCommit) }
    }

    /// A bus read started at `start` answered that nothing is new. Idle then (no batch in hand, spool empty), every
    /// event published before `start` was delivered and committed or lost: the archiver was caught up.
    public mutating func foundNothing(since start: Date) {
        if case .idle = state { caughtUpAt = start }
    }

    /// Seconds since the last commit while events are pending (0 when idle).
    public func stalledSeconds(at now: Date) -> Double {
        guard case .pending(let since, _) = state else { return 0 }
        return max(0, now.timeIntervalSince(since))
    }

    /// Compares the stall with `threshold`; raises once when it is passed and clears once when it is over.
    public mutating func check(at now: Date, threshold: Duration) -> Alert {
        let seconds = stalledSeconds(at: now)
        let limit = threshold.timeInterval
        if seconds >= limit, !alerting {
            alerting = true
            return .raised(seconds: seconds)
        }
        if seconds < limit, alerting {
            alerting = false
            return .cleared(seconds: seconds)
        }
        return .none
    }
}
