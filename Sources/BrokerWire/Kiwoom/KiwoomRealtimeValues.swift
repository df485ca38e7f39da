import BrokerCore

/// The `values` object of one `REAL` entry, read in place: where each field BrokerHub uses lies in the message's
/// bytes. Fields are read with exactly `FieldReader`'s rules and errors (spaces trimmed, empty is absent, numbers
/// accepted as JSON numbers too); a value that is not a plain string (escapes, numbers, `null`, other types) takes
/// the `FieldReader` path itself, so the two never disagree.
struct KiwoomRealtimeValues {
    /// Field names are numbers; every field read is below this (`0B`: 10–28, `0D`: 21, 41–80, 121, 125).
    static let slotCount = 128

    let bytes: UnsafeBufferPointer<UInt8>
    /// Names the entry in errors, e.g. `Kiwoom REAL 0B`.
    private(set) var transaction = "Kiwoom REAL"
    let record: Int
    /// Per field number, where its value lies (0 when absent): a plain string (no escapes) as the range of its
    /// contents, `start << 32 | end`; any other value as its whole range, marked by `otherValue`. Stack memory of
    /// the caller.
    private let slots: UnsafeMutableBufferPointer<Int64>
    private static let otherValue: Int64 = 1 << 62

    /// Scans the `values` object at `cursor` (on its `{`, already validated), noting the fields below `slotCount`;
    /// a name given twice keeps its last value, as `JSONParser` does.
    init(
        scanning cursor: inout JSONCursor, depth: Int, slots: UnsafeMutableBufferPointer<Int64>, record: Int
    ) throws(JSONParser.Failure) {
        self.bytes = cursor.bytes
        self.record = record
        self.slots = slots
        slots.update(repeating: 0)
        var walk = try cursor.beginObject(depth: depth)
        while let name = try cursor.nextMember(&walk) {
            if cursor.current == UInt8(ascii: "\"") {
                let value = try cursor.scanString()
                guard let field = Self.fieldNumber(name, in: cursor) else { continue }
                slots[field] = value.escaped
                    ? Self.otherValue | Int64(value.range.lowerBound - 1) << 32 | Int64(value.range.upperBound + 1)
                    : Int64(value.range.lowerBound) << 32 | Int64(value.range.upperBound)
            } else {
                let start = try cursor.skipValue(depth: depth)
                guard let field = Self.fieldNumber(name, in: cursor) else { continue }
                slots[field] = Self.otherValue | Int64(start) << 32 | Int64(cursor.index)
            }
        }
    }

    /// The same fields, named in errors as `transaction` (known once the entry's `type` is).
    func named(_ transaction: String) -> KiwoomRealtimeValues {
        var named = self
        named.transaction = transaction
        return named
    }

    /// The number a member name spells when it is a canonical decimal below `slotCount` ("7", "41", "125").
    @inline(__always)
    private static func fieldNumber(_ name: JSONCursor.StringSpan, in cursor: JSONCursor) -> Int? {
        if name.escaped {
            let text = cursor.text(name)
            guard let value = Int(text), value >= 0, value < slotCount, String(value) == text else { return nil }
            return value
        }
        let start = name.range.lowerBound, count = name.range.count
        guard count >= 1, count <= 3 else { return nil }
        let bytes = cursor.bytes
        let first = bytes[start] &- UInt8(ascii: "0")
        guard first < 10, count == 1 || first != 0 else { return nil }
        var value = Int(first)
        for index in start &+ 1..<start &+ count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int(digit)
        }
        return value < slotCount ? value : nil
    }

    // MARK: Reading fields

    /// Where a field's text lies, trimmed of spaces; `.empty` for an empty or all-space string; `.other` for any
    /// value that is not a plain string.
    private enum Raw {
        case absent
        case empty
        case text(Range<Int>)
        case other
    }

    @inline(__always)
    private func raw(_ field: Int) -> Raw {
        let slot = slots[field]
        guard slot != 0 else { return .absent }
        guard slot & Self.otherValue == 0 else { return .other }
        var low = Int(slot >> 32), high = Int(slot & 0xFFFF_FFFF)
        while low < high, bytes[low] == UInt8(ascii: " ") { low += 1 }
        while high > low, bytes[high - 1] == UInt8(ascii: " ") { high -= 1 }
        return low == high ? .empty : .text(low..<high)
    }

    /// The same field read by `FieldReader`, for values the fast path does not take.
    private func reader(_ field: Int) -> FieldReader {
        let slot = slots[field] & ~Self.otherValue
        let range = Int(slot >> 32)..<Int(slot & 0xFFFF_FFFF)
        let value = (try? JSONParser.parse(UnsafeBufferPointer(rebasing: bytes[range]))) ?? .null
        return FieldReader(transaction: transaction, record: record, fields: [String(field): value])
    }

    private func error(_ field: Int, _ reason: String) -> BrokerHubError {
        BrokerHubError.malformed(transaction, record: record, field: String(field), reason)
    }

    private func preview(_ range: Range<Int>) -> String {
        String(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self).prefix(40))
    }

    /// A signed integer; nil when absent or empty.
    func optionalInt(_ field: Int) throws -> Int64? {
        switch raw(field) {
        case .absent, .empty: return nil
        case .other: return try reader(field).optionalInt(String(field))
        case .text(let range):
            guard let value = NumberText.int64(bytes, from: range.lowerBound, to: range.upperBound) else {
                throw error(field, "expected an integer, got \"\(preview(range))\"")
            }
            return value
        }
    }

    func int(_ field: Int) throws -> Int64 {
        if let value = try optionalInt(field) { return value }
        throw error(field, slots[field] == 0 ? "missing" : "empty")
    }

    /// The absolute value of a (possibly signed) price: Kiwoom signs prices by their direction.
    func price(_ field: Int) throws -> Int64 { abs(try int(field)) }

    func optionalPrice(_ field: Int) throws -> Int64? { try optionalInt(field).map(abs) }

    /// An amount in millions of won, in won; refused when it does not fit an `Int64`.
    func optionalMillions(_ field: Int) throws -> Int64? {
        guard let value = try optionalInt(field) else { return nil }
        let (won, overflow) = value.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { throw error(field, "\(value) million won is out of range") }
        return won
    }

    func optionalDecimal(_ field: Int) throws -> FixedDecimal? {
        switch raw(field) {
        case .absent, .empty: return nil
        case .other: return try reader(field).optionalDecimal(String(field))
        case .text(let range):
            guard let value = FixedDecimal.parse(UnsafeBufferPointer(rebasing: bytes[range])) else {
                throw error(field, "expected a decimal, got \"\(preview(range))\"")
            }
            return value
        }
    }

    /// An `HHmmss` time of day, as seconds since midnight.
    func timeOfDay(_ field: Int) throws -> Int {
        switch raw(field) {
        case .absent: throw error(field, "missing")
        case .empty: throw error(field, "empty")
        case .other: return try reader(field).timeOfDay(String(field))
        case .text(let range):
            guard let seconds = NumberText.timeOfDay(bytes, from: range.lowerBound, to: range.upperBound) else {
                throw error(field, "expected an HHMMSS time, got \"\(preview(range))\"")
            }
            return seconds
        }
    }

    /// The sum of `amounts` (a total the broker left out), refused in the name of `field` when it does not fit.
    func total(_ amounts: [Int64], as field: Int) throws -> Int64 {
        try FieldReader(transaction: transaction, record: record, fields: [:]).total(amounts, as: String(field))
    }
}
