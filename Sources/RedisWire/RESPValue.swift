/// One RESP2 or RESP3 value, as sent by a Redis server.
///
/// RESP2 nulls are `.bulkString(nil)` and `.array(nil)`; the RESP3 null is `.null`.
/// Attributes (`|`) are skipped by ``RESPDecoder`` and never appear here.
public enum RESPValue: Sendable, Hashable {
    /// `+OK`
    case simpleString(String)
    /// `-ERR message`
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$3\r\nfoo` (binary safe); `nil` is the RESP2 null bulk string `$-1`.
    case bulkString([UInt8]?)
    /// `*2 …`; `nil` is the RESP2 null array `*-1`.
    case array([RESPValue]?)
    /// RESP3 `_`
    case null
    /// RESP3 `#t` / `#f`
    case boolean(Bool)
    /// RESP3 `,3.14` (also `inf`, `-inf`, `nan`)
    case double(Double)
    /// RESP3 `(1234567890123456789012345678901234567890`, kept as its decimal text.
    case bigNumber(String)
    /// RESP3 `!21\r\nSYNTAX invalid syntax`
    case bulkError(String)
    /// RESP3 `=15\r\ntxt:Some string`; `format` is the three-letter prefix.
    case verbatimString(format: String, text: String)
    /// RESP3 `%` — key/value pairs in wire order.
    case map([Pair])
    /// RESP3 `~`
    case set([RESPValue])
    /// RESP3 `>` — out-of-band data such as Pub/Sub messages.
    case push([RESPValue])

    /// One key/value entry of a RESP3 map.
    public struct Pair: Sendable, Hashable {
        public var key: RESPValue
        public var value: RESPValue
        public init(_ key: RESPValue, _ value: RESPValue) {
            self.key = key
            self.value = value
        }
    }
}
