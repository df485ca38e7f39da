import Foundation

/// A calendar date in Korea Standard Time (UTC+9, no daylight saving).
public struct KSTDate: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Creates a date; nil when the components do not name a real day.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...KSTDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYYMMDD` or `YYYY-MM-DD`.
    public init?(_ text: some StringProtocol) {
        let digits = text.utf8.filter { $0 != UInt8(ascii: "-") }
        guard digits.count == 8, digits.allSatisfy({ $0 &- 48 < 10 }),
              text.utf8.count == 8 || text.utf8.count == 10 else { return nil }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(digits[$1] - 48) } }
        self.init(year: number(0..<4), month: number(4..<6), day: number(6..<8))
    }

    /// The KST date of an instant.
    public init(_ instant: Date) {
        let seconds = KST.wholeSeconds(instant) + KST.offsetSeconds
        self.init(daysSinceEpoch: Int(floorDiv(seconds, 86_400)))
    }

    /// The date `days` after 1970-01-01.
    public init(daysSinceEpoch days: Int) {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int { KSTDate.daysFromCivil(year: year, month: month, day: day) }

    /// ISO weekday: 1 Monday … 7 Sunday.
    public var isoWeekday: Int {
        let weekday = (daysSinceEpoch + 3) % 7 // 1970-01-01 was a Thursday (index 3 from Monday)
        return (weekday < 0 ? weekday + 7 : weekday) + 1
    }

    public var isWeekend: Bool { isoWeekday >= 6 }

    public func adding(days: Int) -> KSTDate { KSTDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// Midnight KST of this date.
    public var start: Date { KST.instant(self, hour: 0, minute: 0, second: 0) }

    /// `YYYYMMDD`, the brokers' form.
    public var compact: String { zeroPadded(year, 4) + zeroPadded(month, 2) + zeroPadded(day, 2) }

    /// `YYYY-MM-DD`.
    public var description: String { zeroPadded(year, 4) + "-" + zeroPadded(month, 2) + "-" + zeroPadded(day, 2) }

    public static func < (lhs: KSTDate, rhs: KSTDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = KSTDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// `value / divisor` rounded toward negative infinity (instants before 1970 fall on the day before).
@inlinable
public func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
}

/// `value` (not negative) in decimal, left-padded with zeros to `width` digits. Dates and times are formatted
/// per record in hot paths, where `String(format:)` cost a quarter of the mock's CPU.
func zeroPadded(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.utf8.count >= width ? digits : String(repeating: "0", count: width - digits.utf8.count) + digits
}
