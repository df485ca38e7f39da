import BrokerCore
import Foundation
import Realtime

/// When automatic recovery (`brokerhub recover`) verifies and backfills which symbols (pure).
///
/// A `session.gap` alert (the collector's session was cut) names a provider — every symbol of it the archive holds is
/// affected; a `ledger.missing` alert names a provider and a symbol. Each affected symbol becomes due `settle` after the
/// last alert that named it — by then the cut minutes have closed and the archive has caught up — and due symbols are
/// handed out one at a time, at least `spacing` apart, so recovery never takes more than a bounded share of the hub's
/// backfill budget however many alerts arrive. An alert for a symbol already waiting moves it later; one for a symbol
/// being recovered queues it again.
public struct RecoverySchedule: Sendable {
    /// One symbol of one provider.
    public struct Target: Sendable, Hashable, Comparable {
        public var provider: Provider
        public var symbol: String

        public init(provider: Provider, symbol: String) {
            self.provider = provider
            self.symbol = symbol
        }

        public static func < (lhs: Target, rhs: Target) -> Bool { (lhs.provider.rawValue, lhs.symbol) < (rhs.provider.rawValue, rhs.symbol) }
    }

    /// What the runner does next.
    public enum Action: Sendable, Equatable {
        /// Nothing is waiting: wait for an alert.
        case idle
        /// Sleep until then (or until an alert comes).
        case sleep(until: Date)
        /// Verify and backfill this symbol now.
        case recover(Target)
    }

    enum State: Sendable {
        case idle
        /// Symbols waiting, with the moment each is due.
        case waiting(due: [Target: Date])
    }

    public let settle: Duration
    public let spacing: Duration
    private var state: State = .idle
    /// The last hand-out, for the spacing.
    private var lastStarted: Date?

    public init(settle: Duration = .seconds(30), spacing: Duration = .seconds(3)) {
        self.settle = settle
        self.spacing = spacing
    }

    /// The targets an alert names (`session.gap`: every symbol of its provider in `known`; `ledger.missing`: its own);
    /// empty for any other alert.
    public static func targets(of alert: RealtimeAlert, known: [Target]) -> [Target] {
        switch alert.kind {
        case "session.gap":
            guard let provider = alert.provider else { return known }
            return known.filter { $0.provider == provider }
        case "ledger.missing":
            guard let provider = alert.provider, let symbol = alert.symbol else { return [] }
            return [Target(provider: provider, symbol: symbol)]
        default:
            return []
        }
    }

    /// Symbols waiting.
    public var waiting: Int {
        if case .waiting(let due) = state { return due.count }
        return 0
    }

    /// `targets` are affected as of `now`: each becomes due `settle` from now.
    public mutating func affected(_ targets: [Target], at now: Date) {
        guard !targets.isEmpty else { return }
        var due: [Target: Date] = [:]
        if case .waiting(let current) = state { due = current }
        let at = now.addingTimeInterval(settle.timeInterval)
        for target in targets { due[target] = at }
        state = .waiting(due: due)
    }

    /// What to do at `now`; a `.recover` takes the target out of the schedule.
    public mutating func next(at now: Date) -> Action {
        guard case .waiting(var due) = state, !due.isEmpty else {
            state = .idle
            return .idle
        }
        let earliest = due.min { $0.value == $1.value ? $0.key < $1.key : $0.value < $1.value }!
        var start = earliest.value
        if let lastStarted { start = max(start, lastStarted.addingTimeInterval(spacing.timeInterval)) }
        guard start <= now else { return .sleep(until: start) }
        due.removeValue(forKey: earliest.key)
        lastStarted = now
        state = due.isEmpty ? .idle : .waiting(due: due)
        return .recover(earliest.key)
    }
}
