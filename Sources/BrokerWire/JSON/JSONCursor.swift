/// The byte level of JSON reading, shared by `JSONParser` (which builds trees) and the direct scanners (which
/// only note where values are): whitespace, strings, numbers, literals and a validating skip. Both therefore
/// accept exactly the same documents and refuse the others with the same `JSONParser.Failure`.
struct JSONCursor {
    /// A string's raw contents (between the quotes), already validated.
    struct StringSpan {
        var range: Range<Int>
        /// True when the contents hold escapes, so the raw bytes are not the text.
        var escaped: Bool
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    func failure(_ reason: String) -> JSONParser.Failure { JSONParser.Failure(offset: index, reason: reason) }

    var atEnd: Bool { index >= bytes.count }

    /// The byte at `index`, 0 at the end.
    @inline(__always)
    var current: UInt8 { index < bytes.count ? bytes[index] : 0 }

    @inline(__always)
    mutating func skipWhitespace() {
        var position = index
        let count = bytes.count
        while position < count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position &+= 1
            default:
                index = position
                return
            }
        }
        index = position
    }

    /// Steps over `byte` (after whitespace) or fails with `reason`.
    @inline(__always)
    mutating func expect(_ byte: UInt8, _ reason: String) throws(JSONParser.Failure) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw failure(reason) }
        index += 1
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParser.Failure) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw failure("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw failure("invalid literal")
        }
        index += count
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// A number at `index`; returns its text's range.
    mutating func scanNumber() throws(JSONParser.Failure) -> Range<Int> {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return start..<index
    }

    /// Validates the string whose opening quote is at `index` and steps past it: escapes, control characters,
    /// then UTF-8 (checked on the raw bytes: escapes are ASCII, so the raw bytes are valid exactly when the text is).
    @inline(__always)
    mutating func scanString() throws(JSONParser.Failure) -> StringSpan {
        // The common case — printable ASCII up to the closing quote — runs on locals (no stores through `self`).
        let start = index + 1
        let count = bytes.count
        if let base = bytes.baseAddress {
            var position = start
            // Eight bytes at a time: find the first that is `"`, `\`, a control character or not ASCII.
            while position &+ 8 <= count {
                let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self).littleEndian
                let special = Self.specialBytes(word)
                if special == 0 {
                    position &+= 8
                    continue
                }
                position &+= special.trailingZeroBitCount &>> 3
                if base[position] == UInt8(ascii: "\"") {
                    index = position &+ 1
                    return StringSpan(range: start..<position, escaped: false)
                }
                return try scanStringSlowly()
            }
            while position < count {
                let byte = base[position]
                if byte &- 0x20 < 0x60, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                    position &+= 1
                    continue
                }
                if byte == UInt8(ascii: "\"") {
                    index = position &+ 1
                    return StringSpan(range: start..<position, escaped: false)
                }
                break
            }
        }
        return try scanStringSlowly()
    }

    /// A mask with the high bit set in (at least) the lowest byte of `word` that is `"`, `\`, below 0x20 or above
    /// 0x7F — exact for the lowest such byte, which is all `scanString` uses.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
        let control = (word &- ones &* 0x20) & ~word
        let isQuote = (quote &- ones) & ~quote
        let isBackslash = (backslash &- ones) & ~backslash
        return (control | isQuote | isBackslash | word) & highs
    }

    /// `scanString` for strings with escapes, control characters or non-ASCII bytes.
    private mutating func scanStringSlowly() throws(JSONParser.Failure) -> StringSpan {
        index += 1
        let start = index
        var escaped = false
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let range = start..<index
                index += 1
                guard ascii || Self.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[range])) else {
                    throw JSONParser.Failure(offset: start, reason: "invalid UTF-8 in string")
                }
                return StringSpan(range: range, escaped: escaped)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
                guard index < bytes.count else { throw failure("unexpected end of input in string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"): _ = try unicodeEscape()
                default: throw failure("invalid escape")
                }
                continue
            }
            if byte < 0x20 { throw failure("control character in string") }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw failure("unterminated string")
    }

    /// The text of a validated string.
    func text(_ span: StringSpan) -> String {
        guard span.escaped else { return String(decoding: UnsafeBufferPointer(rebasing: bytes[span.range]), as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(span.range.count)
        var cursor = JSONCursor(bytes, at: span.range.lowerBound)
        while cursor.index < span.range.upperBound {
            let byte = bytes[cursor.index]
            cursor.index += 1
            guard byte == UInt8(ascii: "\\") else {
                decoded.append(byte)
                continue
            }
            let escape = bytes[cursor.index]
            cursor.index += 1
            switch escape {
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                // Validated by `scanString`, so this cannot fail.
                if let scalar = try? cursor.unicodeEscape() { decoded.append(contentsOf: String(Character(scalar)).utf8) }
            default: decoded.append(escape) // `"`, `\`, `/`
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// True when the raw bytes of `span` are exactly `literal` (a member name without escapes).
    @inline(__always)
    func matches(_ span: StringSpan, _ literal: StaticString) -> Bool {
        guard !span.escaped else { return text(span) == literal.description }
        let count = literal.utf8CodeUnitCount
        guard span.range.count == count else { return false }
        for offset in 0..<count where bytes[span.range.lowerBound + offset] != literal.utf8Start[offset] { return false }
        return true
    }

    private mutating func unicodeEscape() throws(JSONParser.Failure) -> Unicode.Scalar {
        let high = try hex4()
        if (0xD800...0xDBFF).contains(high) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw failure("unpaired surrogate")
            }
            index += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate") }
            let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw failure("invalid unicode escape") }
            return scalar
        }
        guard let scalar = Unicode.Scalar(high) else { throw failure("unpaired surrogate") }
        return scalar
    }

    private mutating func hex4() throws(JSONParser.Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("unexpected end of input in \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Validates the value at `index` (after whitespace) and steps past it; returns where it starts.
    /// `depth` counts like `JSONParser`'s, so nesting limits agree.
    mutating func skipValue(depth: Int) throws(JSONParser.Failure) -> Int {
        skipWhitespace()
        let start = index
        guard index < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            var members = try beginObject(depth: depth + 1)
            while try nextMember(&members) != nil { _ = try skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            var elements = try beginArray(depth: depth + 1)
            while try nextElement(&elements) { _ = try skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): _ = try scanString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try scanNumber()
        default: throw failure("unexpected character '\(Unicode.Scalar(bytes[index]))'")
        }
        return start
    }

    // MARK: Containers, member by member

    /// Where a container walk stands: before its first item or after one.
    struct Walk {
        fileprivate var first = true
    }

    /// Steps into the object at `index` (its `{`).
    mutating func beginObject(depth: Int) throws(JSONParser.Failure) -> Walk {
        guard depth <= JSONParser.maximumDepth else { throw failure("nesting too deep") }
        index += 1
        return Walk()
    }

    /// The next member's name, leaving `index` before its value (the caller reads or skips it); nil after `}`.
    mutating func nextMember(_ walk: inout Walk) throws(JSONParser.Failure) -> StringSpan? {
        skipWhitespace()
        if walk.first {
            walk.first = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return nil
            }
        } else {
            guard index < bytes.count else { throw failure("unexpected end of input in object") }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return nil
            }
            guard bytes[index] == UInt8(ascii: ",") else { throw failure("expected ',' or '}'") }
            index += 1
            skipWhitespace()
        }
        guard index < bytes.count else { throw failure("unexpected end of input in object") }
        guard bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
        let name = try scanString()
        try expect(UInt8(ascii: ":"), "expected ':'")
        skipWhitespace()
        return name
    }

    /// Steps into the array at `index` (its `[`).
    mutating func beginArray(depth: Int) throws(JSONParser.Failure) -> Walk {
        guard depth <= JSONParser.maximumDepth else { throw failure("nesting too deep") }
        index += 1
        return Walk()
    }

    /// True when another element follows (the caller reads or skips it); false after `]`.
    mutating func nextElement(_ walk: inout Walk) throws(JSONParser.Failure) -> Bool {
        skipWhitespace()
        if walk.first {
            walk.first = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return false
            }
            return true
        }
        guard index < bytes.count else { throw failure("unexpected end of input in array") }
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            return false
        }
        guard bytes[index] == UInt8(ascii: ",") else { throw failure("expected ',' or ']'") }
        index += 1
        return true
    }

    // MARK: UTF-8

    /// Strict UTF-8 (no overlong forms, surrogates or values past U+10FFFF), as `String(validating:)`.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        @inline(__always) func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            index + offset < count && range.contains(bytes[index + offset])
        }
        while index < count {
            let lead = bytes[index]
            switch lead {
            case 0x00...0x7F: index += 1
            case 0xC2...0xDF:
                guard continuation(1) else { return false }
                index += 2
            case 0xE0...0xEF:
                let second: ClosedRange<UInt8> = lead == 0xE0 ? 0xA0...0xBF : (lead == 0xED ? 0x80...0x9F : 0x80...0xBF)
                guard continuation(1, second), continuation(2) else { return false }
                index += 3
            case 0xF0...0xF4:
                let second: ClosedRange<UInt8> = lead == 0xF0 ? 0x90...0xBF : (lead == 0xF4 ? 0x80...0x8F : 0x80...0xBF)
                guard continuation(1, second), continuation(2), continuation(3) else { return false }
                index += 4
            default: return false
            }
        }
        return true
    }
}

extension JSONCursor {
    /// The text of the (validated) string value starting at `start`; nil when the value there is not a string.
    func stringText(at start: Int) -> String? {
        guard bytes[start] == UInt8(ascii: "\"") else { return nil }
        var probe = JSONCursor(bytes, at: start)
        guard let span = try? probe.scanString() else { return nil }
        return text(span)
    }

    /// The (validated) value starting at `start` as a tree: the scanners' way to treat rare shapes exactly as
    /// `JSONParser`'s readers do.
    func value(at start: Int) -> JSONValue {
        var probe = JSONCursor(bytes, at: start)
        guard (try? probe.skipValue(depth: 0)) != nil,
              let value = try? JSONParser.parse(UnsafeBufferPointer(rebasing: bytes[start..<probe.index])) else { return .null }
        return value
    }
}
