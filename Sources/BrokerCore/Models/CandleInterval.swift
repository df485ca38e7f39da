/// The span one candle covers: a count of a unit, written like `1m`, `5m`, `1d`, `1w`, `1M`, `1Y`, `3t`.
public struct CandleInterval: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        case tick = "t", minute = "m", day = "d", week = "w", month = "M", year = "Y"
    }

    public var count: Int
    public var unit: Unit

    public init(_ count: Int, _ unit: Unit) {
        self.count = count
        self.unit = unit
    }

    /// Parses the textual form (`"1d"`, `"30m"`, `"1M"`); nil when it is not one.
    public init?(_ text: String) {
        guard let last = text.last, let unit = Unit(rawValue: String(last)),
              let count = Int(text.dropLast()), count > 0 else { return nil }
        self.init(count, unit)
    }

    public static let oneMinute = CandleInterval(1, .minute)
    public static let day = CandleInterval(1, .day)
    public static let week = CandleInterval(1, .week)
    public static let month = CandleInterval(1, .month)
    public static let year = CandleInterval(1, .year)

    public var description: String { "\(count)\(unit.rawValue)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = CandleInterval(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an interval: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
