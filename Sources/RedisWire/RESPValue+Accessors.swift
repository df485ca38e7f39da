extension RESPValue {
    /// Text of a simple/bulk/verbatim string or big number (bulk bytes decoded as UTF-8).
    public var string: String? {
        switch self {
        case .simpleString(let s): return s
        case .bulkString(let bytes?): return String(decoding: bytes, as: UTF8.self)
        case .verbatimString(_, let text): return text
        case .bigNumber(let s): return s
        default: return nil
        }
    }

    /// An integer reply, or a string reply that holds a decimal integer.
    public var int: Int64? {
        switch self {
        case .integer(let i): return i
        case .simpleString(let s): return Int64(s)
        case .bulkString(let bytes?): return Int64(String(decoding: bytes, as: UTF8.self))
        case .bigNumber(let s): return Int64(s)
        default: return nil
        }
    }

    /// Elements of an array, set or push (`nil` for a null array and every other type).
    public var array: [RESPValue]? {
        switch self {
        case .array(let values?): return values
        case .set(let values): return values
        case .push(let values): return values
        default: return nil
        }
    }

    /// Raw bytes of a bulk string, or the UTF-8 bytes of a simple/verbatim string.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes?): return bytes
        case .simpleString(let s): return Array(s.utf8)
        case .verbatimString(_, let text): return Array(text.utf8)
        default: return nil
        }
    }

    /// `true` for the RESP3 null and the RESP2 null bulk string / null array.
    public var isNull: Bool {
        switch self {
        case .null, .bulkString(nil), .array(nil): return true
        default: return false
        }
    }

    /// The message of an error or bulk error reply.
    public var errorMessage: String? {
        switch self {
        case .error(let m), .bulkError(let m): return m
        default: return nil
        }
    }

    /// Key/value pairs of a RESP3 map, or of a flat RESP2 array of alternating keys and values.
    public var pairs: [Pair]? {
        switch self {
        case .map(let pairs): return pairs
        case .array(let values?) where values.count % 2 == 0:
            return stride(from: 0, to: values.count, by: 2).map { Pair(values[$0], values[$0 + 1]) }
        default: return nil
        }
    }
}
