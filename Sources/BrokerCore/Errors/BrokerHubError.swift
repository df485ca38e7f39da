/// The one error type BrokerHub throws: a stable code, a human message, and what caused it.
///
/// Mapped to an HTTP status or an exit code only at the edges (HTTP API, CLI).
public struct BrokerHubError: Error, Sendable, CustomStringConvertible {
    /// A stable, dotted identifier such as `payload.malformed`.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A payload or frame that cannot be read.
        public static let malformedPayload = Code(rawValue: "payload.malformed")
        /// The broker answered with an error (see `BrokerHubError.failure`).
        public static let brokerError = Code(rawValue: "broker.error")
        /// The broker knows no such symbol or record.
        public static let notFound = Code(rawValue: "broker.not_found")
        /// A transaction (TR / api-id) BrokerHub does not support.
        public static let unsupportedTransaction = Code(rawValue: "request.unsupported_tr")
        /// A caller-supplied argument is missing or invalid.
        public static let invalidArgument = Code(rawValue: "request.invalid_argument")
        /// A configuration or data file that cannot be used.
        public static let invalidConfiguration = Code(rawValue: "config.invalid")
    }

    public var code: Code
    public var message: String
    /// The broker's own answer, when the error came from a broker.
    public var failure: BrokerFailure?
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, failure: BrokerFailure? = nil, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.failure = failure
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }

    /// A payload that cannot be read, naming where: the TR, the record (0-based) and the field.
    public static func malformed(_ transaction: String, record: Int? = nil, field: String? = nil, _ reason: String) -> BrokerHubError {
        var location = transaction
        if let record { location += " record \(record)" }
        if let field { location += " field \(field)" }
        return BrokerHubError(.malformedPayload, "\(location): \(reason)")
    }

    /// An error answer from a broker.
    public static func broker(_ failure: BrokerFailure) -> BrokerHubError {
        BrokerHubError(failure.category == .notFound ? .notFound : .brokerError, failure.description, failure: failure)
    }
}
