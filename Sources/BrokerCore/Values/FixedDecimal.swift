/// An exact decimal number: `mantissa × 10^-scale` (e.g. `-0.14` is mantissa -14, scale 2).
///
/// Brokers send rates and ratios as decimal strings; keeping them as fixed-point integers avoids
/// binary floating point and parses in a handful of instructions.
public struct FixedDecimal: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var mantissa: Int64
    public var scale: UInt8

    public init(mantissa: Int64, scale: UInt8) {
        self.mantissa = mantissa
        self.scale = scale
    }

    public static let zero = FixedDecimal(mantissa: 0, scale: 0)

    /// Parses `[+-]digits[.digits]`; nil for anything else (including an empty string).
    public init?(_ text: some StringProtocol) {
        var utf8 = Array(text.utf8)
        let parsed: FixedDecimal? = utf8.withUnsafeMutableBufferPointer { FixedDecimal.parse(UnsafeBufferPointer($0)) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses ASCII bytes `[+-]digits[.digits]` with at most 18 significant digits.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> FixedDecimal? {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: Int64 = 0
        var digits = 0
        var scale: UInt8 = 0
        var seenPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else if byte &- 48 < 10 {
                digits += 1
                if digits > 18 { return nil }
                mantissa = mantissa &* 10 &+ Int64(byte &- 48)
                if seenPoint { scale += 1 }
            } else {
                return nil
            }
            index += 1
        }
        guard digits > 0 else { return nil }
        return FixedDecimal(mantissa: negative ? -mantissa : mantissa, scale: scale)
    }

    /// The value with its scale reduced as far as it goes without losing digits.
    public var normalized: FixedDecimal {
        var result = self
        while result.scale > 0, result.mantissa % 10 == 0 {
            result.mantissa /= 10
            result.scale -= 1
        }
        return result
    }

    public var doubleValue: Double {
        var divisor = 1.0
        for _ in 0..<scale { divisor *= 10 }
        return Double(mantissa) / divisor
    }

    public var isNegative: Bool { mantissa < 0 }

    /// The absolute value.
    public var magnitude: FixedDecimal { FixedDecimal(mantissa: mantissa.magnitude > UInt64(Int64.max) ? Int64.max : abs(mantissa), scale: scale) }

    /// The same value with the given sign.
    public func withSign(negative: Bool) -> FixedDecimal {
        let positive = magnitude
        return negative ? FixedDecimal(mantissa: -positive.mantissa, scale: scale) : positive
    }

    public var description: String {
        let sign = mantissa < 0 ? "-" : ""
        let digits = String(mantissa.magnitude)
        guard scale > 0 else { return sign + digits }
        let width = Int(scale)
        let padded = digits.count <= width ? String(repeating: "0", count: width - digits.count + 1) + digits : digits
        let split = padded.index(padded.endIndex, offsetBy: -width)
        return sign + padded[..<split] + "." + padded[split...]
    }

    public static func == (lhs: FixedDecimal, rhs: FixedDecimal) -> Bool {
        let (left, right) = aligned(lhs, rhs)
        return left == right
    }

    public func hash(into hasher: inout Hasher) {
        let value = normalized
        hasher.combine(value.mantissa)
        hasher.combine(value.scale)
    }

    public static func < (lhs: FixedDecimal, rhs: FixedDecimal) -> Bool {
        let (left, right) = aligned(lhs, rhs)
        return left < right
    }

    private static func aligned(_ lhs: FixedDecimal, _ rhs: FixedDecimal) -> (Int64, Int64) {
        var left = lhs.mantissa, right = rhs.mantissa
        if lhs.scale < rhs.scale {
            for _ in lhs.scale..<rhs.scale { left = left &* 10 }
        } else if rhs.scale < lhs.scale {
            for _ in rhs.scale..<lhs.scale { right = right &* 10 }
        }
        return (left, right)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else {
            text = String(try container.decode(Double.self))
        }
        guard let value = FixedDecimal(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a decimal: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
