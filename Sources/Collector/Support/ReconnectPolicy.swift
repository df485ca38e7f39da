import Foundation

/// When to connect again after a session dropped: exponential backoff with jitter, and a cap on how often
/// connections are opened at all (brokers ban keys that reconnect too eagerly). Pure; time comes from the caller.
///
/// Use: before every connect call `nextDelay(now:)`, wait that long, then connect — the policy records the
/// connect at `now + delay` and counts it against the caps. Call `reset()` once a connection proves healthy
/// (data received); the backoff starts over, the cap history stays.
public struct ReconnectPolicy: Sendable, Hashable {
    public enum Jitter: Sendable, Hashable {
        /// Uniform in `[0, min(max, initial·2ⁿ)]` for the n-th attempt since the last reset.
        case full
        /// `min(max, uniform(initial, 3·previous))` (the "decorrelated jitter" of the AWS backoff note).
        case decorrelated
    }

    /// At most `limit` connects in any rolling `window`.
    public struct FrequencyCap: Sendable, Hashable {
        public var limit: Int
        public var window: Duration

        public init(limit: Int, window: Duration) {
            precondition(limit > 0, "a frequency cap must allow at least one connect")
            self.limit = limit
            self.window = window
        }
    }

    public struct Configuration: Sendable, Hashable {
        public var initialDelay: Duration
        public var maxDelay: Duration
        public var jitter: Jitter
        public var caps: [FrequencyCap]

        /// Defaults: 1 s initial, 60 s max, full jitter, at most 5 connects per 60 s and 30 per hour.
        public init(
            initialDelay: Duration = .seconds(1),
            maxDelay: Duration = .seconds(60),
            jitter: Jitter = .full,
            caps: [FrequencyCap] = [FrequencyCap(limit: 5, window: .seconds(60)), FrequencyCap(limit: 30, window: .seconds(3600))]
        ) {
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
            self.jitter = jitter
            self.caps = caps
        }
    }

    /// Margin added past a cap's window edge so floating-point rounding never lands a connect on the edge.
    static let edgeMargin: TimeInterval = 0.001

    public let configuration: Configuration
    /// Connects since the last `reset()`.
    public private(set) var attempt = 0
    /// Recorded connect instants within the longest cap window, oldest first.
    public private(set) var connects: [Date] = []
    private var previousBackoff: TimeInterval
    private var random: ReconnectRandom

    /// - Parameter random: seed it for deterministic schedules in tests.
    public init(configuration: Configuration = Configuration(), random: ReconnectRandom = ReconnectRandom()) {
        self.configuration = configuration
        self.random = random
        self.previousBackoff = configuration.initialDelay.timeInterval
    }

    /// The pause before the next connect: the jittered backoff, stretched if needed so no frequency cap is
    /// exceeded. Records the connect at `now + delay`.
    public mutating func nextDelay(now: Date) -> Duration {
        let backoff = nextBackoff()
        attempt += 1
        let earliest = earliestAllowedConnect(notBefore: now.addingTimeInterval(backoff))
        let delay = Duration.nanoseconds(Int64((earliest.timeIntervalSince(now) * 1e9).rounded(.up)))
        recordConnect(at: now.addingTimeInterval(delay.timeInterval))
        return delay
    }

    /// Counts a connect made without asking `nextDelay` (e.g. the first connect of a run) against the caps.
    public mutating func recordConnect(at instant: Date) {
        let index = connects.lastIndex { $0 <= instant }.map { $0 + 1 } ?? 0
        connects.insert(instant, at: index)
        let longest = configuration.caps.map(\.window.timeInterval).max() ?? 0
        let horizon = instant.addingTimeInterval(-longest - Self.edgeMargin)
        connects.removeAll { $0 < horizon }
    }

    /// The wait the frequency caps alone impose on a connect at `now` (zero when allowed at once).
    public func capDelay(now: Date) -> Duration {
        .seconds(earliestAllowedConnect(notBefore: now).timeIntervalSince(now))
    }

    /// The connection proved healthy: the backoff starts again from the initial delay.
    public mutating func reset() {
        attempt = 0
        previousBackoff = configuration.initialDelay.timeInterval
    }

    private mutating func nextBackoff() -> TimeInterval {
        let initial = configuration.initialDelay.timeInterval
        let maximum = max(initial, configuration.maxDelay.timeInterval)
        switch configuration.jitter {
        case .full:
            let ceiling = min(maximum, initial * pow(2, Double(min(attempt, 60))))
            return ceiling * uniform()
        case .decorrelated:
            let upper = max(initial, previousBackoff * 3)
            let backoff = min(maximum, initial + (upper - initial) * uniform())
            previousBackoff = backoff
            return backoff
        }
    }

    /// Uniform in [0, 1].
    private mutating func uniform() -> Double {
        Double(random.next() >> 11) / Double(1 << 53 - 1)
    }

    /// The earliest instant ≥ `notBefore` at which a connect keeps every cap: fewer than `limit` recorded
    /// connects in the window `(t - window, t]`.
    private func earliestAllowedConnect(notBefore: Date) -> Date {
        // Connects happen one after another: never before the last recorded one.
        var candidate = max(notBefore, connects.last ?? notBefore)
        // Moving later only lets connects leave windows, so a few passes settle (one per cap suffices in practice).
        for _ in 0...(configuration.caps.count + connects.count) {
            var moved = false
            for cap in configuration.caps {
                let window = cap.window.timeInterval
                let inWindow = connects.filter { $0 > candidate.addingTimeInterval(-window) && $0 <= candidate }
                guard inWindow.count >= cap.limit else { continue }
                // The oldest connects must leave the window until only limit - 1 remain.
                let leaving = inWindow[inWindow.count - cap.limit]
                candidate = leaving.addingTimeInterval(window + Self.edgeMargin)
                moved = true
            }
            if !moved { break }
        }
        return candidate
    }
}
