import NIOCore

/// Incremental RESP2/RESP3 decoder: feed it whatever bytes have arrived; it returns complete values.
///
/// `decode(_:)` consumes bytes only for elements it has fully parsed (they are kept inside the decoder
/// while their aggregate is incomplete), so a partial read never loses or duplicates bytes. Malformed input
/// throws a ``RESPDecodingError``; the decoder then stays failed and the connection must be closed.
/// RESP3 attributes (`|`) are parsed and dropped.
public struct RESPDecoder: Sendable {
    /// Bounds that protect against hostile or corrupt input.
    public struct Limits: Sendable, Hashable {
        /// Largest accepted bulk string payload (default 512 MiB, as Redis's `proto-max-bulk-len`).
        public var maxBulkLength: Int = 512 * 1024 * 1024
        /// Deepest accepted aggregate nesting (default 64).
        public var maxDepth: Int = 64
        /// Largest accepted element count of one aggregate (default 16 Mi).
        public var maxAggregateCount: Int = 16 * 1024 * 1024
        /// Longest accepted header or simple line (default 64 KiB).
        public var maxLineLength: Int = 64 * 1024
        public init() {}
    }

    private enum AggregateKind: Sendable { case array, set, push, map, attribute }

    private struct Frame: Sendable {
        var kind: AggregateKind
        var remaining: Int
        var elements: [RESPValue]
    }

    private enum Step {
        case value(RESPValue)
        case aggregate(AggregateKind, count: Int)
    }

    public let limits: Limits
    private var stack: [Frame] = []
    private var failure: RESPDecodingError?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// `true` while an aggregate has started but is not yet complete.
    public var hasPartialValue: Bool { !stack.isEmpty }

    /// Decodes the next complete value, or returns `nil` when more bytes are needed.
    public mutating func decode(_ buffer: inout ByteBuffer) throws(RESPDecodingError) -> RESPValue? {
        if let failure { throw failure }
        do throws(RESPDecodingError) {
            while true {
                guard let (step, consumed) = try parseOne(buffer) else { return nil }
                buffer.moveReaderIndex(forwardBy: consumed)
                switch step {
                case .value(let value):
                    if let done = complete(value) { return done }
                case .aggregate(let kind, let count):
                    guard stack.count < limits.maxDepth else {
                        throw RESPDecodingError(.nestingTooDeep, "aggregates nested deeper than \(limits.maxDepth)")
                    }
                    let elements = (kind == .map || kind == .attribute) ? count * 2 : count
                    if elements == 0 {
                        guard let value = Self.build(kind, []) else { continue }
                        if let done = complete(value) { return done }
                    } else {
                        var storage: [RESPValue] = []
                        storage.reserveCapacity(min(elements, 1024))
                        stack.append(Frame(kind: kind, remaining: elements, elements: storage))
                    }
                }
            }
        } catch {
            failure = error
            stack.removeAll()
            throw error
        }
    }

    /// Decodes every complete value in `buffer`.
    public mutating func decodeAll(_ buffer: inout ByteBuffer) throws(RESPDecodingError) -> [RESPValue] {
        var values: [RESPValue] = []
        while let value = try decode(&buffer) { values.append(value) }
        return values
    }

    /// Adds a finished value to the open aggregates; returns it when it completes a top-level value.
    private mutating func complete(_ value: RESPValue) -> RESPValue? {
        var value = value
        while var top = stack.popLast() {
            top.elements.append(value)
            top.remaining -= 1
            if top.remaining > 0 {
                stack.append(top)
                return nil
            }
            guard let built = Self.build(top.kind, top.elements) else { return nil }  // attribute dropped
            value = built
        }
        return value
    }

    private static func build(_ kind: AggregateKind, _ elements: [RESPValue]) -> RESPValue? {
        switch kind {
        case .array: return .array(elements)
        case .set: return .set(elements)
        case .push: return .push(elements)
        case .attribute: return nil
        case .map:
            var pairs: [RESPValue.Pair] = []
            pairs.reserveCapacity(elements.count / 2)
            var index = 0
            while index + 1 < elements.count {
                pairs.append(RESPValue.Pair(elements[index], elements[index + 1]))
                index += 2
            }
            return .map(pairs)
        }
    }

    // MARK: - One element

    private func parseOne(_ buffer: ByteBuffer) throws(RESPDecodingError) -> (Step, Int)? {
        let limits = self.limits
        let result: Result<(Step, Int)?, RESPDecodingError> = buffer.withUnsafeReadableBytes { bytes in
            do throws(RESPDecodingError) {
                return .success(try Self.parse(bytes, limits: limits))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer, limits: Limits) throws(RESPDecodingError) -> (Step, Int)? {
        guard let type = bytes.first else { return nil }
        guard let lineEnd = try findLineEnd(bytes, from: 1, limits: limits) else { return nil }
        let line = UnsafeRawBufferPointer(rebasing: bytes[1..<lineEnd])
        let headerLength = lineEnd + 2
        switch type {
        case UInt8(ascii: "+"):
            return (.value(.simpleString(String(decoding: line, as: UTF8.self))), headerLength)
        case UInt8(ascii: "-"):
            return (.value(.error(String(decoding: line, as: UTF8.self))), headerLength)
        case UInt8(ascii: ":"):
            guard let value = parseInteger(line) else {
                throw RESPDecodingError(.invalidScalar, "invalid integer '\(text(line))'")
            }
            return (.value(.integer(value)), headerLength)
        case UInt8(ascii: "_"):
            guard line.isEmpty else { throw RESPDecodingError(.invalidScalar, "null with payload '\(text(line))'") }
            return (.value(.null), headerLength)
        case UInt8(ascii: "#"):
            switch text(line) {
            case "t": return (.value(.boolean(true)), headerLength)
            case "f": return (.value(.boolean(false)), headerLength)
            default: throw RESPDecodingError(.invalidScalar, "invalid boolean '\(text(line))'")
            }
        case UInt8(ascii: ","):
            let string = text(line)
            guard let value = parseDouble(string) else {
                throw RESPDecodingError(.invalidScalar, "invalid double '\(string)'")
            }
            return (.value(.double(value)), headerLength)
        case UInt8(ascii: "("):
            let string = text(line)
            let digits = string.hasPrefix("-") || string.hasPrefix("+") ? string.dropFirst() : Substring(string)
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw RESPDecodingError(.invalidScalar, "invalid big number '\(string)'")
            }
            return (.value(.bigNumber(string)), headerLength)
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            let length = try parseLength(line, type: type, allowNull: type == UInt8(ascii: "$"))
            guard let length else { return (.value(.bulkString(nil)), headerLength) }
            guard length <= limits.maxBulkLength else {
                throw RESPDecodingError(.bulkTooLarge, "bulk length \(length) exceeds \(limits.maxBulkLength)")
            }
            let end = headerLength + length
            guard bytes.count >= end + 2 else { return nil }
            guard bytes[end] == 0x0D, bytes[end + 1] == 0x0A else {
                throw RESPDecodingError(.missingCRLF, "bulk payload of \(length) bytes not followed by CRLF")
            }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[headerLength..<end])
            switch type {
            case UInt8(ascii: "$"):
                return (.value(.bulkString(Array(payload))), end + 2)
            case UInt8(ascii: "!"):
                return (.value(.bulkError(String(decoding: payload, as: UTF8.self))), end + 2)
            default:
                // The format is three ASCII bytes (`txt`, `mkd`); anything else would not survive decoding as text.
                guard payload.count >= 4, payload[3] == UInt8(ascii: ":"), payload[0..<3].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                    throw RESPDecodingError(.invalidVerbatim, "verbatim string without an ASCII 'xxx:' format prefix")
                }
                let format = String(decoding: UnsafeRawBufferPointer(rebasing: payload[0..<3]), as: UTF8.self)
                let body = String(decoding: UnsafeRawBufferPointer(rebasing: payload[4...]), as: UTF8.self)
                return (.value(.verbatimString(format: format, text: body)), end + 2)
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            let count = try parseLength(line, type: type, allowNull: type == UInt8(ascii: "*"))
            guard let count else { return (.value(.array(nil)), headerLength) }
            guard count <= limits.maxAggregateCount else {
                throw RESPDecodingError(.aggregateTooLarge, "aggregate count \(count) exceeds \(limits.maxAggregateCount)")
            }
            let kind: AggregateKind
            switch type {
            case UInt8(ascii: "*"): kind = .array
            case UInt8(ascii: "~"): kind = .set
            case UInt8(ascii: ">"): kind = .push
            case UInt8(ascii: "%"): kind = .map
            default: kind = .attribute
            }
            return (.aggregate(kind, count: count), headerLength)
        default:
            throw RESPDecodingError(.invalidTypeByte, "invalid type byte 0x\(String(type, radix: 16))")
        }
    }

    /// Index of the `\r` ending the line that starts at `start`, or `nil` if the line is incomplete.
    private static func findLineEnd(
        _ bytes: UnsafeRawBufferPointer, from start: Int, limits: Limits
    ) throws(RESPDecodingError) -> Int? {
        // Validate the type byte before waiting for a line, so garbage fails at once.
        switch bytes[0] {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "#"),
            UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="),
            UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            break
        default:
            throw RESPDecodingError(.invalidTypeByte, "invalid type byte 0x\(String(bytes[0], radix: 16))")
        }
        var index = start
        let limit = min(bytes.count, start + limits.maxLineLength + 1)
        while index < limit {
            let byte = bytes[index]
            if byte == 0x0D {
                guard index + 1 < bytes.count else { return nil }
                guard bytes[index + 1] == 0x0A else {
                    throw RESPDecodingError(.missingCRLF, "CR not followed by LF")
                }
                return index
            }
            if byte == 0x0A { throw RESPDecodingError(.missingCRLF, "LF without CR") }
            index += 1
        }
        if index - start > limits.maxLineLength {
            throw RESPDecodingError(.lineTooLong, "line longer than \(limits.maxLineLength) bytes")
        }
        return nil
    }

    /// Parses a length/count; returns `nil` for `-1` when `allowNull`.
    private static func parseLength(
        _ line: UnsafeRawBufferPointer, type: UInt8, allowNull: Bool
    ) throws(RESPDecodingError) -> Int? {
        let kind = String(UnicodeScalar(type))
        if line.count == 1, line[0] == UInt8(ascii: "?") {
            throw RESPDecodingError(.unsupported, "streamed '\(kind)' aggregates are not supported")
        }
        guard let value = parseInteger(line) else {
            throw RESPDecodingError(.invalidLength, "invalid '\(kind)' length '\(text(line))'")
        }
        if value == -1, allowNull, line.count == 2 { return nil }
        guard value >= 0, line[0] != UInt8(ascii: "+") else {
            throw RESPDecodingError(.invalidLength, "invalid '\(kind)' length \(text(line))")
        }
        guard value <= Int64(Int32.max) * 1024 else {
            throw RESPDecodingError(.invalidLength, "'\(kind)' length \(value) out of range")
        }
        return Int(value)
    }

    /// Strict decimal Int64: optional sign, 1–19 digits, no spaces; `nil` on overflow.
    static func parseInteger(_ line: UnsafeRawBufferPointer) -> Int64? {
        guard !line.isEmpty else { return nil }
        var index = 0
        var negative = false
        if line[0] == UInt8(ascii: "-") || line[0] == UInt8(ascii: "+") {
            negative = line[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < line.count else { return nil }
        var value: Int64 = 0
        while index < line.count {
            let digit = line[index] &- 0x30
            guard digit <= 9 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(digit)) : m.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = a
            index += 1
        }
        return value
    }

    private static func parseDouble(_ string: String) -> Double? {
        switch string {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default: break
        }
        guard let first = string.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: ".") else {
            return nil
        }
        guard !string.lowercased().contains("x"), !string.lowercased().contains("n") else { return nil }
        return Double(string)
    }

    private static func text(_ line: UnsafeRawBufferPointer) -> String {
        String(decoding: line.prefix(64), as: UTF8.self)
    }
}
