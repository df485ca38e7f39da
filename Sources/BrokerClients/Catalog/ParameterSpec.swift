/// One parameter of a catalogued transaction.
public struct ParameterSpec: Sendable, Hashable {
    public enum Format: Sendable, Hashable {
        /// One of these values (exact match after upper-casing when `caseInsensitive`).
        case oneOf([String])
        /// A KRX symbol: six characters of digits/capitals, optionally `_NX`/`_AL`.
        case symbol
        /// `YYYYMMDD` (`00000101` accepted as "from the beginning").
        case date
        /// `HHMMSS`.
        case time
        /// `HHMMSS`, or empty (the broker's "latest").
        case optionalTime
        /// Anything, including empty.
        case text
    }

    public var name: String
    public var format: Format
    public var required: Bool
    public var defaultValue: String?

    public init(_ name: String, _ format: Format, required: Bool = false, default defaultValue: String? = nil) {
        self.name = name
        self.format = format
        self.required = required
        self.defaultValue = defaultValue
    }

    /// Why `value` does not fit, or nil.
    func problem(with value: String) -> String? {
        switch format {
        case .oneOf(let allowed):
            allowed.contains(value) ? nil : "must be one of \(allowed.map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: ", ")), got \"\(value)\""
        case .symbol:
            Self.isSymbol(value) ? nil : "must be a 6-character KRX code (e.g. 005930), got \"\(value)\""
        case .date:
            Self.isDate(value) ? nil : "must be a YYYYMMDD date, got \"\(value)\""
        case .time:
            Self.isTime(value) ? nil : "must be an HHMMSS time, got \"\(value)\""
        case .optionalTime:
            value.isEmpty || Self.isTime(value) ? nil : "must be an HHMMSS time or empty, got \"\(value)\""
        case .text:
            nil
        }
    }

    static func isSymbol(_ value: String) -> Bool {
        var code = Substring(value)
        if code.hasSuffix("_NX") || code.hasSuffix("_AL") { code = code.dropLast(3) }
        return code.count == 6 && code.allSatisfy { $0.isASCII && ($0.isNumber || $0.isUppercase) }
    }

    static func isDate(_ value: String) -> Bool {
        guard value.count == 8, value.allSatisfy(\.isNumber) else { return false }
        if value == "00000101" { return true }
        let number = Int(value)!
        let month = (number / 100) % 100, day = number % 100
        return (1...12).contains(month) && (1...31).contains(day) && number / 10_000 >= 1900
    }

    static func isTime(_ value: String) -> Bool {
        guard value.count == 6, let number = Int(value), value.allSatisfy(\.isNumber) else { return false }
        return number / 10_000 < 24 && (number / 100) % 100 < 60 && number % 100 < 60
    }
}
