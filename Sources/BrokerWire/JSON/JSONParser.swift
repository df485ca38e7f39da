/// A strict RFC 8259 JSON parser over UTF-8 bytes. Pure; errors name the byte offset.
public struct JSONParser {
    /// Why a document is not JSON.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Nesting deeper than this is refused rather than risking the stack.
    public static let maximumDepth = 256

    public static func parse(_ text: String) throws(Failure) -> JSONValue {
        var copy = text
        do {
            return try copy.withUTF8 { bytes in try parse(bytes) }
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(offset: 0, reason: "\(error)")
        }
    }

    /// - Parameter uniqueKeys: refuse an object that names a member twice (requests the hub takes; broker
    ///   answers are read leniently, the last one winning).
    public static func parse(_ bytes: [UInt8], uniqueKeys: Bool = false) throws(Failure) -> JSONValue {
        do {
            return try bytes.withUnsafeBufferPointer { buffer in try parse(buffer, uniqueKeys: uniqueKeys) }
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(offset: 0, reason: "\(error)")
        }
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, uniqueKeys: Bool = false) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes: bytes, uniqueKeys: uniqueKeys)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected trailing characters") }
        return value
    }

    private var cursor: JSONCursor
    private let uniqueKeys: Bool

    private init(bytes: UnsafeBufferPointer<UInt8>, uniqueKeys: Bool) {
        self.cursor = JSONCursor(bytes)
        self.uniqueKeys = uniqueKeys
    }

    private var index: Int { cursor.index }

    private func failure(_ reason: String) -> Failure { cursor.failure(reason) }

    private mutating func skipWhitespace() { cursor.skipWhitespace() }

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        guard !cursor.atEnd else { throw failure("unexpected end of input") }
        switch cursor.bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(cursor.text(try cursor.scanString()))
        case UInt8(ascii: "t"): try cursor.expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try cursor.expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try cursor.expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let range = try cursor.scanNumber()
            return .number(String(decoding: UnsafeBufferPointer(rebasing: cursor.bytes[range]), as: UTF8.self))
        default: throw failure("unexpected character '\(Unicode.Scalar(cursor.bytes[index]))'")
        }
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
        var walk = try cursor.beginObject(depth: depth)
        var members: [String: JSONValue] = [:]
        while let name = try cursor.nextMember(&walk) {
            let key = cursor.text(name)
            if uniqueKeys, members[key] != nil {
                throw Failure(offset: name.range.lowerBound - 1, reason: "duplicate member name \"\(key.prefix(64))\"")
            }
            members[key] = try parseValue(depth: depth)
        }
        return .object(members)
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
        var walk = try cursor.beginArray(depth: depth)
        var elements: [JSONValue] = []
        while try cursor.nextElement(&walk) {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
        }
        return .array(elements)
    }
}
