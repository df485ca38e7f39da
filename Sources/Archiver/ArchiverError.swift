/// An archiver failure: a stable code, a message and what caused it.
public struct ArchiverError: Error, Sendable, CustomStringConvertible {
    /// A stable, dotted identifier such as `sink.unavailable`.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The database could not be reached or refused the batch.
        public static let sinkUnavailable = Code(rawValue: "sink.unavailable")
        /// A database operation did not finish within its bound; its connection was closed.
        public static let sinkTimeout = Code(rawValue: "sink.timeout")
        /// A `--sink` / `--bus` specification that cannot be used.
        public static let invalidSpecification = Code(rawValue: "config.invalid")
        /// The spool could not be written or read.
        public static let spoolFailure = Code(rawValue: "spool.failure")
        /// The sink was used after `close()`.
        public static let closed = Code(rawValue: "sink.closed")
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let underlying { text += " (\(String(reflecting: underlying)))" }
        return text
    }
}
