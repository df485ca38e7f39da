import Foundation
import Realtime

/// When a ledger difference is a gap a person must hear about (pure): a provider and channel whose missing count
/// is above zero in `readings` reports in a row without shrinking. Events in flight shrink by the next reading;
/// events lost (a collector killed, a database refusing, an archiver stopped) do not.
public struct LedgerWatch: Sendable {
    /// One gap worth an alert.
    public struct Finding: Sendable, Hashable {
        public var provider: String
        public var channel: RealtimeChannel
        public var missing: Int64
        /// Consecutive readings it has been missing without shrinking.
        public var readings: Int

        public init(provider: String, channel: RealtimeChannel, missing: Int64, readings: Int) {
            self.provider = provider
            self.channel = channel
            self.missing = missing
            self.readings = readings
        }
    }

    struct Key: Hashable {
        var provider: String
        var channel: RealtimeChannel
    }

    public let readings: Int
    private var streaks: [Key: (missing: Int64, count: Int)] = [:]

    public init(readings: Int = 2) {
        self.readings = max(1, readings)
    }

    /// Takes one report; returns the gaps that have lasted `readings` reports (again on every later one while
    /// they last: the alert policy turns repeats into reminders).
    public mutating func observe(_ report: LedgerReport) -> [Finding] {
        var missing: [Key: Int64] = [:]
        for row in report.rows where row.key.channel != .system {
            missing[Key(provider: row.key.provider, channel: row.key.channel), default: 0] += max(0, row.missing)
        }
        var next: [Key: (missing: Int64, count: Int)] = [:]
        var findings: [Finding] = []
        for (key, count) in missing where count > 0 {
            let previous = streaks[key]
            let streak = previous.map { count >= $0.missing ? $0.count + 1 : 1 } ?? 1
            next[key] = (count, streak)
            if streak >= readings { findings.append(Finding(provider: key.provider, channel: key.channel, missing: count, readings: streak)) }
        }
        streaks = next
        return findings.sorted { ($0.provider, $0.channel.rawValue) < ($1.provider, $1.channel.rawValue) }
    }
}
