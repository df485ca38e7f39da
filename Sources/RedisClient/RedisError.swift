/// An error from ``RedisClient``: a code to branch on, a message for logs, and the cause if any.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Redis cannot be reached (connect failed, or the pool knows it is down).
        public static let unreachable = Code("unreachable")
        /// No reply within the command (or connect) timeout.
        public static let timeout = Code("timeout")
        /// The server answered with an error reply; `message` is its text.
        public static let server = Code("server")
        /// The server sent bytes that are not valid RESP, or an unexpected reply shape.
        public static let protocolViolation = Code("protocol_violation")
        /// The connection or the client was closed before the reply arrived.
        public static let closed = Code("closed")
        /// The Redis URL could not be parsed or uses an unsupported scheme.
        public static let invalidURL = Code("invalid_url")
        /// The call itself is malformed (e.g. a subscription with no channel), or a reply could not be read as expected.
        public static let invalidArgument = Code("invalid_argument")
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "RedisError(\(code)): \(message) (\(underlying))" }
        return "RedisError(\(code)): \(message)"
    }

    /// For `.server` errors: the leading error word, e.g. `NOSCRIPT`, `BUSYGROUP`, `WRONGTYPE`.
    public var serverErrorPrefix: String? {
        guard code == .server else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }
}
