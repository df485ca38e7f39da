/// The built-in table of Korea Exchange weekday closures (securities market), 2025–2027.
///
/// Only weekdays are listed: weekends are always closed. Public holidays that fall on a weekend appear
/// only through their substitute (대체공휴일) weekday. Sources and open questions: `docs/calendar.md`.
public enum KRXHolidays {
    /// The years for which `builtIn` is complete.
    public static let builtInYears: ClosedRange<Int> = 2025...2027

    /// Every built-in closure with its name, ascending.
    public static let named: [(date: KSTDate, name: String)] = table.map { (KSTDate($0.0)!, $0.1) }

    /// The built-in closures.
    public static let builtIn: Set<KSTDate> = Set(named.map(\.date))

    /// The name of a built-in closure, or nil when `date` is not one.
    public static func name(of date: KSTDate) -> String? { names[date] }

    static let names: [KSTDate: String] = Dictionary(named.map { ($0.date, $0.name) }, uniquingKeysWith: { first, _ in first })

    private static let table: [(String, String)] = [
        // 2025 (all confirmed by KRX announcements and the exchange_calendars XKRX answer key)
        ("2025-01-01", "New Year's Day (신정)"),
        ("2025-01-27", "Temporary public holiday (임시공휴일)"),
        ("2025-01-28", "Seollal (설날 연휴)"),
        ("2025-01-29", "Seollal (설날)"),
        ("2025-01-30", "Seollal (설날 연휴)"),
        ("2025-03-03", "Substitute holiday for Independence Movement Day (삼일절 대체공휴일)"),
        ("2025-05-01", "Labour Day (근로자의 날)"),
        ("2025-05-05", "Children's Day and Buddha's Birthday (어린이날, 부처님오신날)"),
        ("2025-05-06", "Substitute holiday (대체공휴일)"),
        ("2025-06-03", "Presidential election (제21대 대통령 선거)"),
        ("2025-06-06", "Memorial Day (현충일)"),
        ("2025-08-15", "Liberation Day (광복절)"),
        ("2025-10-03", "National Foundation Day (개천절)"),
        ("2025-10-06", "Chuseok (추석)"),
        ("2025-10-07", "Chuseok (추석 연휴)"),
        ("2025-10-08", "Substitute holiday for Chuseok (추석 대체공휴일)"),
        ("2025-10-09", "Hangul Day (한글날)"),
        ("2025-12-25", "Christmas (성탄절)"),
        ("2025-12-31", "Year-end closing (연말 휴장일)"),
        // 2026 (all confirmed by the exchange_calendars XKRX answer key and KRX-based press lists)
        ("2026-01-01", "New Year's Day (신정)"),
        ("2026-02-16", "Seollal (설날 연휴)"),
        ("2026-02-17", "Seollal (설날)"),
        ("2026-02-18", "Seollal (설날 연휴)"),
        ("2026-03-02", "Substitute holiday for Independence Movement Day (삼일절 대체공휴일)"),
        ("2026-05-01", "Labour Day (노동절)"),
        ("2026-05-05", "Children's Day (어린이날)"),
        ("2026-05-25", "Substitute holiday for Buddha's Birthday (부처님오신날 대체공휴일)"),
        ("2026-06-03", "Local elections (제9회 전국동시지방선거)"),
        ("2026-08-17", "Substitute holiday for Liberation Day (광복절 대체공휴일)"),
        ("2026-09-24", "Chuseok (추석 연휴)"), // 09-26 (Saturday) is the third day
        ("2026-09-25", "Chuseok (추석)"),
        ("2026-10-05", "Substitute holiday for National Foundation Day (개천절 대체공휴일)"),
        ("2026-10-09", "Hangul Day (한글날)"),
        ("2026-12-25", "Christmas (성탄절)"),
        ("2026-12-31", "Year-end closing (연말 휴장일)"),
        // 2027 (derived from the holiday rules; KRX publishes the year's list late in 2026)
        ("2027-01-01", "New Year's Day (신정)"),
        ("2027-02-08", "Seollal (설날 연휴)"), // 02-06 Sat, 02-07 Sun (설날)
        ("2027-02-09", "Substitute holiday for Seollal (설날 대체공휴일)"),
        ("2027-03-01", "Independence Movement Day (삼일절)"),
        ("2027-05-05", "Children's Day (어린이날)"), // 05-01 Labour Day is a Saturday
        ("2027-05-13", "Buddha's Birthday (부처님오신날)"),
        ("2027-08-16", "Substitute holiday for Liberation Day (광복절 대체공휴일)"),
        ("2027-09-14", "Chuseok (추석 연휴)"),
        ("2027-09-15", "Chuseok (추석)"),
        ("2027-09-16", "Chuseok (추석 연휴)"),
        ("2027-10-04", "Substitute holiday for National Foundation Day (개천절 대체공휴일)"),
        ("2027-10-11", "Substitute holiday for Hangul Day (한글날 대체공휴일)"),
        ("2027-12-27", "Substitute holiday for Christmas (성탄절 대체공휴일)"),
        ("2027-12-31", "Year-end closing (연말 휴장일)"),
    ]
}
