import Foundation

/// Korea Standard Time helpers: every broker timestamp is KST (UTC+9, no daylight saving).
public enum KST {
    public static let offsetSeconds: Int64 = 9 * 3600

    /// Seconds since 1970 as a whole number, saturated to ±300 billion (about ±9,500 years) and NaN as 0:
    /// an instant built from a hostile value (a broker's `expires_in` of 9.2e18) never traps a conversion.
    @inline(__always)
    public static func wholeSeconds(_ instant: Date) -> Int64 {
        let value = instant.timeIntervalSince1970
        guard value.isFinite else { return 0 }
        return Int64(max(-3e11, min(3e11, value)).rounded(.down))
    }

    /// The instant of a KST wall-clock time.
    @inline(__always)
    public static func instant(_ date: KSTDate, hour: Int, minute: Int, second: Int) -> Date {
        let seconds = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - offsetSeconds
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Seconds since KST midnight of the instant's KST date.
    public static func secondOfDay(_ instant: Date) -> Int {
        let seconds = wholeSeconds(instant) + offsetSeconds
        let remainder = seconds % 86_400
        return Int(remainder < 0 ? remainder + 86_400 : remainder)
    }

    /// ISO-8601 with the `+09:00` offset, e.g. `2023-06-12T09:33:54+09:00`; milliseconds are shown when non-zero.
    public static func iso8601(_ instant: Date) -> String {
        let value = instant.timeIntervalSince1970
        let clamped = value.isFinite ? max(-3e11, min(3e11, value)) : 0
        let totalMillis = Int64((clamped * 1000).rounded()) + offsetSeconds * 1000
        let days = floorDiv(totalMillis, 86_400_000)
        let millisOfDay = Int(totalMillis - days * 86_400_000)
        let date = KSTDate(daysSinceEpoch: Int(days))
        let second = millisOfDay / 1000
        let millis = millisOfDay % 1000
        let base = date.description + "T" + clock(second, separator: ":")
        return millis == 0 ? base + "+09:00" : base + "." + zeroPadded(millis, 3) + "+09:00"
    }

    /// Parses what `iso8601(_:)` writes — `YYYY-MM-DDTHH:mm:ss[.mmm]+09:00` — back into an instant; nil otherwise.
    public static func parseISO8601(_ text: some StringProtocol) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 25 || bytes.count == 29, bytes.suffix(6).elementsEqual("+09:00".utf8),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let date = KSTDate(String(decoding: bytes[0..<10], as: UTF8.self)) else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard bytes[range].allSatisfy({ $0 &- 48 < 10 }) else { return nil }
            return bytes[range].reduce(0) { $0 * 10 + Int($1 - 48) }
        }
        guard let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              hour < 24, minute < 60, second < 60 else { return nil }
        var millis = 0
        if bytes.count == 29 {
            guard bytes[19] == UInt8(ascii: "."), let value = number(20..<23) else { return nil }
            millis = value
        }
        return instant(date, hour: hour, minute: minute, second: second).addingTimeInterval(Double(millis) / 1000)
    }

    /// Parses `YYYYMMDDHHmmss` (KST) as brokers send it; nil when malformed.
    public static func parseCompactDateTime(_ text: some StringProtocol) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 14, bytes.allSatisfy({ $0 &- 48 < 10 }),
              let date = KSTDate(String(decoding: bytes[0..<8], as: UTF8.self)) else { return nil }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(bytes[$1] - 48) } }
        let hour = number(8..<10), minute = number(10..<12), second = number(12..<14)
        guard hour < 24, minute < 60, second < 60 else { return nil }
        return instant(date, hour: hour, minute: minute, second: second)
    }

    /// Parses `YYYY-MM-DD HH:mm:ss` (KST), the form of KIS `access_token_token_expired`.
    public static func parseDashedDateTime(_ text: some StringProtocol) -> Date? {
        let compact = String(text.filter { $0 != "-" && $0 != ":" && $0 != " " })
        guard text.count == 19 else { return nil }
        return parseCompactDateTime(compact)
    }

    /// Formats an instant as `YYYY-MM-DD HH:mm:ss` in KST (the form of KIS token expiries).
    public static func dashedDateTime(_ instant: Date) -> String {
        let date = KSTDate(instant)
        let second = secondOfDay(instant)
        return date.description + " " + clock(second, separator: ":")
    }

    /// Formats an instant as `YYYYMMDDHHmmss` in KST.
    public static func compactDateTime(_ instant: Date) -> String {
        let date = KSTDate(instant)
        let second = secondOfDay(instant)
        return date.compact + clock(second, separator: "")
    }

    /// `HH{separator}mm{separator}ss` of a second of the day.
    public static func clock(_ second: Int, separator: String) -> String {
        zeroPadded(second / 3600, 2) + separator + zeroPadded((second / 60) % 60, 2) + separator + zeroPadded(second % 60, 2)
    }
}
