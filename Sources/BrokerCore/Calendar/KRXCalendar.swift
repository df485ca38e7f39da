import Foundation

/// The Korea Exchange (KOSPI/KOSDAQ) trading calendar: trading days, session windows and market phases, all in KST.
///
/// Pure and cheap to copy. A day is a trading day unless it is a weekend or listed in `holidays`.
/// Holiday data only exists for `coveredYears` (built in: 2025–2027; `load(holidaysFile:base:)` adds more);
/// outside them only weekends are known closures, so check `covers(year:)` when it matters.
public struct KRXCalendar: Sendable, Equatable {
    /// Weekday closures.
    public private(set) var holidays: Set<KSTDate>
    /// Years for which `holidays` is complete.
    public private(set) var coveredYears: Set<Int>
    /// Session windows, including first-trading-day and CSAT shifts.
    public var hours: KRXSessionHours
    private var names: [KSTDate: String]

    /// A calendar with the given closures and hours.
    ///
    /// `coveredYears` defaults to the years that appear in `holidays`.
    /// Names of closures are taken from `KRXHolidays` where known.
    public init(
        holidays: Set<KSTDate> = KRXHolidays.builtIn,
        hours: KRXSessionHours = .default,
        coveredYears: Set<Int>? = nil
    ) {
        self.holidays = holidays
        self.hours = hours
        self.coveredYears = coveredYears ?? Set(holidays.map(\.year))
        self.names = KRXHolidays.names.filter { holidays.contains($0.key) }
    }

    // MARK: Days

    /// Whether holiday data exists for `year`.
    public func covers(year: Int) -> Bool { coveredYears.contains(year) }

    /// False on weekends and holidays.
    public func isTradingDay(_ date: KSTDate) -> Bool {
        !date.isWeekend && !holidays.contains(date)
    }

    /// The name of a holiday, when `date` is one and its name is known.
    public func holidayName(on date: KSTDate) -> String? {
        holidays.contains(date) ? names[date] : nil
    }

    /// The first trading day strictly after `date`.
    public func nextTradingDay(after date: KSTDate) -> KSTDate {
        var day = date.adding(days: 1)
        while !isTradingDay(day) { day = day.adding(days: 1) }
        return day
    }

    /// The last trading day strictly before `date`.
    public func previousTradingDay(before date: KSTDate) -> KSTDate {
        var day = date.adding(days: -1)
        while !isTradingDay(day) { day = day.adding(days: -1) }
        return day
    }

    /// Trading days from `start` through `end`, both inclusive, ascending; empty when `end < start`.
    public func tradingDays(from start: KSTDate, through end: KSTDate) -> [KSTDate] {
        guard start <= end else { return [] }
        return (start.daysSinceEpoch...end.daysSinceEpoch)
            .map(KSTDate.init(daysSinceEpoch:))
            .filter(isTradingDay)
    }

    /// Whether `date` is the first trading day of its year (the regular session opens late).
    public func isFirstTradingDayOfYear(_ date: KSTDate) -> Bool {
        guard isTradingDay(date) else { return false }
        var day = KSTDate(year: date.year, month: 1, day: 1)!
        while day < date {
            if isTradingDay(day) { return false }
            day = day.adding(days: 1)
        }
        return true
    }

    // MARK: Sessions

    /// The session windows of `date` (seconds of day, KST), or nil on a non-trading day.
    public func schedule(on date: KSTDate) -> KRXSessionHours.DaySchedule? {
        guard isTradingDay(date) else { return nil }
        return hours.schedule(on: date, isFirstTradingDayOfYear: isFirstTradingDayOfYear(date))
    }

    /// The market phase at an instant; `.closed` on non-trading days.
    public func phase(at instant: Date) -> MarketPhase {
        guard let day = schedule(on: KSTDate(instant)) else { return .closed }
        return day.phase(atSecondOfDay: KST.secondOfDay(instant))
    }

    /// Whether the regular session is running at an instant.
    public func isRegularSession(at instant: Date) -> Bool {
        phase(at: instant) == .regular
    }

    /// The regular session of `date` as a **half-open** range `[open, close)`, or nil on a non-trading day.
    ///
    /// `close` itself is not in the session: at 15:30:00 the phase is already `.closed`.
    public func regularSession(on date: KSTDate) -> Range<Date>? {
        guard let day = schedule(on: date), !day.regular.isEmpty else { return nil }
        return instant(date, day.regular.lowerBound)..<instant(date, day.regular.upperBound)
    }

    /// The first regular-session open strictly after `instant`
    /// (today's open if it is still ahead, otherwise the next trading day's).
    public func nextRegularOpen(after instant: Date) -> Date {
        var date = KSTDate(instant)
        if !isTradingDay(date) { date = nextTradingDay(after: date) }
        while true {
            if let session = regularSession(on: date), session.lowerBound > instant { return session.lowerBound }
            date = nextTradingDay(after: date)
        }
    }

    // MARK: Extending

    /// This calendar with more closures; their years become covered and non-empty names replace known ones.
    public func adding(_ entries: [(KSTDate, String)], coveringYears years: Set<Int> = []) -> KRXCalendar {
        var copy = self
        for (date, name) in entries {
            copy.holidays.insert(date)
            copy.coveredYears.insert(date.year)
            if !name.isEmpty { copy.names[date] = name }
        }
        copy.coveredYears.formUnion(years)
        return copy
    }

    private func instant(_ date: KSTDate, _ secondOfDay: Int) -> Date {
        KST.instant(date, hour: 0, minute: 0, second: secondOfDay)
    }
}
