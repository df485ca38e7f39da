/// KRX equity session windows, as seconds of the day in KST (0 = midnight), all half-open `[start, end)`.
///
/// Defaults (the KOSPI/KOSDAQ schedule since 2016):
/// - pre-market 08:30–09:00 (off-hours trading and the opening-auction book),
/// - regular 09:00–15:30,
/// - after-hours 15:40–18:00 (closing-price then single-price off-hours trading);
///   15:30–15:40 is closed.
///
/// Two kinds of day deviate, each by `lateOpenDelay` (default one hour):
/// - the **first trading day of a year** (opening ceremony): pre-market and the regular open move later,
///   the regular close and after-hours are unchanged (e.g. 2026-01-02: regular 10:00–15:30);
/// - a **CSAT (수능) day** listed in `csatDays`: pre-market and the whole regular session move later,
///   and after-hours opens later but still ends at its usual time (regular 10:00–16:30, after-hours 16:40–18:00).
public struct KRXSessionHours: Sendable, Hashable {
    /// The windows of one trading day, seconds of day in KST, half-open.
    public struct DaySchedule: Sendable, Hashable {
        public var preMarket: Range<Int>
        public var regular: Range<Int>
        public var afterHours: Range<Int>

        public init(preMarket: Range<Int>, regular: Range<Int>, afterHours: Range<Int>) {
            self.preMarket = preMarket
            self.regular = regular
            self.afterHours = afterHours
        }

        /// The phase at a second of the day; the regular window wins if windows overlap.
        public func phase(atSecondOfDay second: Int) -> MarketPhase {
            if regular.contains(second) { return .regular }
            if preMarket.contains(second) { return .preMarket }
            if afterHours.contains(second) { return .afterHours }
            return .closed
        }
    }

    /// The windows of an ordinary trading day.
    public var normal: DaySchedule
    /// How far the first trading day of a year and CSAT days are shifted, in seconds (0 disables both shifts).
    public var lateOpenDelay: Int
    /// CSAT (대학수학능력시험) days on which the market opens and closes late.
    public var csatDays: Set<KSTDate>

    public init(
        normal: DaySchedule = KRXSessionHours.defaultSchedule,
        lateOpenDelay: Int = 3600,
        csatDays: Set<KSTDate> = KRXSessionHours.builtInCSATDays
    ) {
        self.normal = normal
        self.lateOpenDelay = lateOpenDelay
        self.csatDays = csatDays
    }

    /// The default ordinary day: pre-market 08:30–09:00, regular 09:00–15:30, after-hours 15:40–18:00.
    public static let defaultSchedule = DaySchedule(
        preMarket: hms(8, 30)..<hms(9, 0),
        regular: hms(9, 0)..<hms(15, 30),
        afterHours: hms(15, 40)..<hms(18, 0)
    )

    /// The default hours: `defaultSchedule`, a one-hour late open, and the built-in CSAT days.
    public static let `default` = KRXSessionHours()

    /// CSAT days shipped with BrokerHub (dates set by the Ministry of Education).
    public static let builtInCSATDays: Set<KSTDate> = [
        KSTDate(year: 2025, month: 11, day: 13)!, // 2026학년도 수능; KRX confirmed 10:00–16:30
        KSTDate(year: 2026, month: 11, day: 19)!, // 2027학년도 수능
        KSTDate(year: 2027, month: 11, day: 18)!, // 2028학년도 수능; the KRX hour change is expected, not yet announced
    ]

    /// The windows of `date`, given whether it is the first trading day of its year.
    ///
    /// Does not check that `date` is a trading day; `KRXCalendar` does.
    public func schedule(on date: KSTDate, isFirstTradingDayOfYear: Bool) -> DaySchedule {
        let delay = lateOpenDelay
        var day = normal
        if csatDays.contains(date) {
            day.preMarket = Self.shift(normal.preMarket, start: delay, end: delay)
            day.regular = Self.shift(normal.regular, start: delay, end: delay)
            day.afterHours = Self.shift(normal.afterHours, start: delay, end: 0)
        } else if isFirstTradingDayOfYear {
            day.preMarket = Self.shift(normal.preMarket, start: delay, end: delay)
            day.regular = Self.shift(normal.regular, start: delay, end: 0)
        }
        return day
    }

    /// Seconds of day for a wall-clock time.
    @inline(__always)
    public static func hms(_ hour: Int, _ minute: Int, _ second: Int = 0) -> Int {
        hour * 3600 + minute * 60 + second
    }

    private static func shift(_ range: Range<Int>, start: Int, end: Int) -> Range<Int> {
        let lower = range.lowerBound + start
        let upper = range.upperBound + end
        return lower < upper ? lower..<upper : lower..<lower
    }
}
