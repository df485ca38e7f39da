import BrokerCore

/// Reads typed fields from one JSON record, failing with an error that names the TR, the record and the field.
///
/// Brokers send every value as a string; numbers are accepted too. Signed forms (`+600`, `-78800`) parse as signed.
public struct FieldReader {
    public let transaction: String
    public let record: Int?
    public let fields: [String: JSONValue]

    public init(transaction: String, record: Int?, fields: [String: JSONValue]) {
        self.transaction = transaction
        self.record = record
        self.fields = fields
    }

    /// Creates a reader for an element that must be an object.
    public init(transaction: String, record: Int?, value: JSONValue?, name: String) throws {
        guard let value else {
            throw BrokerHubError.malformed(transaction, record: record, field: name, "missing")
        }
        guard let members = value.objectValue else {
            throw BrokerHubError.malformed(transaction, record: record, field: name, "expected an object, got \(JSONWriter.serialize(value).prefix(40))")
        }
        self.init(transaction: transaction, record: record, fields: members)
    }

    public func error(_ field: String, _ reason: String) -> BrokerHubError {
        BrokerHubError.malformed(transaction, record: record, field: field, reason)
    }

    /// True when every field is absent or an empty string (the brokers' placeholder rows).
    public var isBlank: Bool {
        fields.values.allSatisfy { value in
            switch value {
            case .null: true
            case .string(let text): text.trimmingSpaces.isEmpty
            default: false
            }
        }
    }

    /// The raw text of a field; nil when absent, null or empty.
    public func optionalText(_ name: String) throws -> String? {
        guard let value = fields[name] else { return nil }
        switch value {
        case .null: return nil
        case .string(let text):
            let trimmed = text.trimmingSpaces
            return trimmed.isEmpty ? nil : trimmed
        case .number(let text): return text
        default: throw error(name, "expected a string, got \(JSONWriter.serialize(value).prefix(40))")
        }
    }

    public func text(_ name: String) throws -> String {
        guard let text = try optionalText(name) else { throw error(name, fields[name] == nil ? "missing" : "empty") }
        return text
    }

    /// A signed integer; nil when absent or empty.
    public func optionalInt(_ name: String) throws -> Int64? {
        guard let text = try optionalText(name) else { return nil }
        guard let value = NumberText.int64(text) else { throw error(name, "expected an integer, got \"\(text.prefix(40))\"") }
        return value
    }

    public func int(_ name: String) throws -> Int64 {
        guard let value = try optionalInt(name) else { throw error(name, fields[name] == nil ? "missing" : "empty") }
        return value
    }

    /// An amount sent in millions of won (Kiwoom's 거래대금), in won; refused when it does not fit an `Int64`.
    public func optionalMillions(_ name: String) throws -> Int64? {
        guard let value = try optionalInt(name) else { return nil }
        let (won, overflow) = value.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { throw error(name, "\(value) million won is out of range") }
        return won
    }

    /// The sum of `amounts` (a total the broker left out), refused in the name of `name` when it does not fit.
    public func total(_ amounts: [Int64], as name: String) throws -> Int64 {
        var sum: Int64 = 0
        for amount in amounts {
            let (next, overflow) = sum.addingReportingOverflow(amount)
            guard !overflow else { throw error(name, "the total of \(amounts.count) amounts is out of range") }
            sum = next
        }
        return sum
    }

    /// The absolute value of a (possibly signed) price: Kiwoom signs prices by their direction.
    public func price(_ name: String) throws -> Int64 { abs(try int(name)) }

    public func optionalPrice(_ name: String) throws -> Int64? { try optionalInt(name).map(abs) }

    public func optionalDecimal(_ name: String) throws -> FixedDecimal? {
        guard let text = try optionalText(name) else { return nil }
        guard let value = FixedDecimal(text) else { throw error(name, "expected a decimal, got \"\(text.prefix(40))\"") }
        return value
    }

    public func decimal(_ name: String) throws -> FixedDecimal {
        guard let value = try optionalDecimal(name) else { throw error(name, fields[name] == nil ? "missing" : "empty") }
        return value
    }

    /// A `YYYYMMDD` date.
    public func date(_ name: String) throws -> KSTDate {
        let text = try text(name)
        guard text.utf8.count == 8, let date = KSTDate(text) else { throw error(name, "expected a YYYYMMDD date, got \"\(text.prefix(40))\"") }
        return date
    }

    /// An `HHmmss` time of day, as seconds since midnight.
    public func timeOfDay(_ name: String) throws -> Int {
        let text = try text(name)
        guard let seconds = NumberText.timeOfDay(text) else { throw error(name, "expected an HHMMSS time, got \"\(text.prefix(40))\"") }
        return seconds
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " { text.removeFirst() }
        while let last = text.last, last == " " { text.removeLast() }
        return String(text)
    }
}
