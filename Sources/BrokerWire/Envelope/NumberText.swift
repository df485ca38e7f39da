import BrokerCore

/// Fast, strict parsing of the numeric text brokers send.
public enum NumberText {
    /// `[+-]digits`, at most 18 digits; nil otherwise.
    public static func int64(_ text: some StringProtocol) -> Int64? {
        var result: Int64?
        var copy = String(text)
        copy.withUTF8 { result = int64(bytes: $0) }
        return result
    }

    @inline(__always)
    public static func int64(bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        int64(bytes, from: 0, to: bytes.count)
    }

    /// Parses `bytes[start..<end]` as `[+-]digits`.
    @inline(__always)
    public static func int64(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int64? {
        var index = start
        guard index < end else { return nil }
        var negative = false
        let first = bytes[index]
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index += 1
            guard index < end else { return nil }
        }
        guard end - index <= 18 else { return nil }
        var value: Int64 = 0
        while index < end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int64(digit)
            index += 1
        }
        return negative ? -value : value
    }

    /// `HHmmss` → seconds since midnight. Kiwoom's `888888` and `999999` mean 16:00 and 18:00.
    public static func timeOfDay(_ text: some StringProtocol) -> Int? {
        var result: Int?
        var copy = String(text)
        copy.withUTF8 { result = timeOfDay($0, from: 0, to: $0.count) }
        return result
    }

    @inline(__always)
    public static func timeOfDay(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        guard end - start == 6 else { return nil }
        var digits = (0, 0, 0, 0, 0, 0)
        for offset in 0..<6 {
            let digit = bytes[start + offset] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            switch offset {
            case 0: digits.0 = Int(digit)
            case 1: digits.1 = Int(digit)
            case 2: digits.2 = Int(digit)
            case 3: digits.3 = Int(digit)
            case 4: digits.4 = Int(digit)
            default: digits.5 = Int(digit)
            }
        }
        let hour = digits.0 * 10 + digits.1, minute = digits.2 * 10 + digits.3, second = digits.4 * 10 + digits.5
        if hour == 88, minute == 88, second == 88 { return 16 * 3600 }
        if hour == 99, minute == 99, second == 99 { return 18 * 3600 }
        guard hour < 24, minute < 60, second < 60 else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    /// `YYYYMMDD` → days since 1970-01-01; nil unless a real date.
    @inline(__always)
    public static func daysSinceEpoch(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        guard end - start == 8 else { return nil }
        var value = 0
        for index in start..<end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        let year = value / 10000, month = (value / 100) % 100, day = value % 100
        return KSTDate(year: year, month: month, day: day)?.daysSinceEpoch
    }
}
