import BrokerCore
import Foundation

/// Which part of the KRX day a snapshot schedule observes.
public enum SnapshotHours: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The regular session only (09:00–15:30 on an ordinary day): the default.
    case regular
    /// Pre-market, regular and after-hours sessions.
    case extended
    /// Every instant (tests and benchmarks against a mock whose market never closes).
    case always

    public var description: String { rawValue }

    /// Whether the schedule runs at `instant`.
    public func isOpen(at instant: Date, calendar: KRXCalendar) -> Bool {
        switch self {
        case .regular: calendar.isRegularSession(at: instant)
        case .extended: calendar.phase(at: instant).isOpen
        case .always: true
        }
    }

    /// The next instant after `instant` at which the schedule opens (nil for `always`).
    public func nextOpen(after instant: Date, calendar: KRXCalendar) -> Date? {
        switch self {
        case .always: return nil
        case .regular: return calendar.nextRegularOpen(after: instant)
        case .extended:
            var date = KSTDate(instant)
            // Trading days are never more than a few weeks apart; the bound only guards a broken calendar.
            for _ in 0..<400 {
                if let day = calendar.schedule(on: date) {
                    let starts = [day.preMarket, day.regular, day.afterHours].filter { !$0.isEmpty }.map(\.lowerBound).sorted()
                    for start in starts {
                        let open = KST.instant(date, hour: start / 3600, minute: (start / 60) % 60, second: start % 60)
                        if open > instant { return open }
                    }
                }
                date = calendar.nextTradingDay(after: date)
            }
            return nil
        }
    }

    /// Why the schedule is not running at `instant`, in words for the status and the log.
    public func closedReason(at instant: Date, calendar: KRXCalendar) -> String {
        let date = KSTDate(instant)
        if date.isWeekend { return "weekend" }
        if !calendar.isTradingDay(date) {
            return calendar.holidayName(on: date).map { "holiday (\($0))" } ?? "holiday"
        }
        guard let session = calendar.regularSession(on: date) else { return "no session today" }
        if instant < session.lowerBound { return self == .extended ? "before the pre-market session" : "before the open" }
        if instant >= session.upperBound { return self == .extended ? "after the after-hours session" : "after the close" }
        return "between sessions"
    }
}
