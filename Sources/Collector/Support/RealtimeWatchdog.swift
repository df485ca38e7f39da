import Foundation

/// Detects a silent realtime session during market hours, in three tiers: `warn`, then `resubscribe`, then
/// `reconnect` after `thresholds` of silence. Pure: the collector feeds it data arrivals and asks it on a timer.
///
/// - Each tier fires at most once per silence period; data ends the period, and so does a `.reconnect`
///   (the silence after a reconnect is measured from the reconnect).
/// - When several tiers are due at once (a late evaluation) only the strongest is returned.
/// - Outside market hours nothing fires, and the silence clock restarts at the first evaluation after the open.
public struct RealtimeWatchdog: Sendable, Hashable {
    /// Silence before each tier; must be increasing.
    public struct Thresholds: Sendable, Hashable {
        public var warn: Duration
        public var resubscribe: Duration
        public var reconnect: Duration

        public init(warn: Duration = .seconds(60), resubscribe: Duration = .seconds(120), reconnect: Duration = .seconds(180)) {
            precondition(warn <= resubscribe && resubscribe <= reconnect, "watchdog thresholds must increase")
            self.warn = warn
            self.resubscribe = resubscribe
            self.reconnect = reconnect
        }

        func threshold(for action: WatchdogAction) -> Duration {
            switch action {
            case .warn: warn
            case .resubscribe: resubscribe
            case .reconnect: reconnect
            }
        }
    }

    public let thresholds: Thresholds
    /// Start of the current silence period (last data, reconnect or market open); nil before any of them.
    public private(set) var silenceStart: Date?
    /// The strongest tier already fired in this silence period.
    public private(set) var lastFired: WatchdogAction?
    private var wasOpen = false

    public init(thresholds: Thresholds = Thresholds()) {
        self.thresholds = thresholds
    }

    /// Data arrived (any frame carrying market data): ends the silence period.
    public mutating func observeData(at instant: Date) {
        if let start = silenceStart, start > instant { return }
        silenceStart = instant
        lastFired = nil
    }

    /// The collector reconnected (for whatever reason): the silence is measured from now on.
    public mutating func connectionRestarted(at instant: Date) {
        silenceStart = instant
        lastFired = nil
    }

    /// The silence so far, or nil outside a measured period.
    public func silence(now: Date) -> Duration? {
        silenceStart.map { .seconds(max(0, now.timeIntervalSince($0))) }
    }

    /// The action due now, if any. A returned `.reconnect` starts a new silence period at `now`.
    public mutating func evaluate(now: Date, marketOpen: Bool) -> WatchdogAction? {
        guard marketOpen else {
            wasOpen = false
            return nil
        }
        if !wasOpen {
            // The silence clock (re)starts at the open (the first evaluation that sees the market open).
            wasOpen = true
            connectionRestarted(at: now)
            return nil
        }
        let silent = now.timeIntervalSince(silenceStart ?? now)
        guard let due = WatchdogAction.allCases.last(where: { silent >= thresholds.threshold(for: $0).timeInterval }),
              lastFired.map({ due > $0 }) ?? true else { return nil }
        if due == .reconnect {
            connectionRestarted(at: now)
        } else {
            lastFired = due
        }
        return due
    }
}
