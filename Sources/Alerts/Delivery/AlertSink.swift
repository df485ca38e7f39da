/// Where notices go: a webhook, a log file, a stream. `AlertDeliverer` calls `deliver` one notice at a time
/// and retries what fails; an implementation only sends.
public protocol AlertSink: Sendable {
    /// A short name for logs and metric labels (`webhook`, `file`, `stdout`).
    var name: String { get }
    /// Sends one notice; throws `AlertDeliveryError` (permanent or not) when it did not arrive.
    func deliver(_ notice: AlertNotice) async throws
}

/// A notice that did not arrive. `permanent` ones (a webhook answering 400: it will never take this body)
/// are not retried.
public struct AlertDeliveryError: Error, CustomStringConvertible {
    public var message: String
    public var permanent: Bool
    public var underlying: (any Error)?

    public init(_ message: String, permanent: Bool = false, underlying: (any Error)? = nil) {
        self.message = message
        self.permanent = permanent
        self.underlying = underlying
    }

    public var description: String { "alerts.delivery_failed: \(message)" + (underlying.map { " (\($0))" } ?? "") }
}
