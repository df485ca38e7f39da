/// Why ``RESPDecoder`` rejected its input. After an error the stream is unusable (close the connection).
public struct RESPDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The first byte of a value is not a RESP type byte.
        case invalidTypeByte
        /// A length is not a decimal integer, or is negative other than the `-1` null.
        case invalidLength
        /// A line or bulk payload is not terminated by `\r\n`.
        case missingCRLF
        /// A bulk length exceeds ``RESPDecoder/Limits/maxBulkLength``.
        case bulkTooLarge
        /// An aggregate count exceeds ``RESPDecoder/Limits/maxAggregateCount``.
        case aggregateTooLarge
        /// Aggregates nest deeper than ``RESPDecoder/Limits/maxDepth``.
        case nestingTooDeep
        /// A simple line is longer than ``RESPDecoder/Limits/maxLineLength`` without `\r\n`.
        case lineTooLong
        /// An integer, double, boolean or big number is malformed.
        case invalidScalar
        /// A verbatim string lacks its `xxx:` format prefix (three printable ASCII bytes).
        case invalidVerbatim
        /// Streamed RESP3 aggregates (`$?`, `*?`) are not supported.
        case unsupported
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "RESP decoding error (\(kind)): \(message)" }
}
