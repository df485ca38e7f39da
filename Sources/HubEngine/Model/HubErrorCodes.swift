import BrokerCore

/// The hub's own error codes (`hub.…`), mapped to HTTP statuses at the edge (`APIError`).
extension BrokerHubError.Code {
    /// A deadline passed before the work could be done.
    public static let deadlineExceeded = BrokerHubError.Code(rawValue: "hub.deadline")
    /// The provider's circuit is open: calls fail fast.
    public static let circuitOpen = BrokerHubError.Code(rawValue: "hub.circuit_open")
    /// The queue is full.
    public static let queueFull = BrokerHubError.Code(rawValue: "hub.queue_full")
    /// The hub is shutting down or a backend is unavailable.
    public static let unavailable = BrokerHubError.Code(rawValue: "hub.unavailable")
    /// The request came from somewhere the hub does not serve (a foreign web page: its `Host` or `Origin`).
    public static let forbidden = BrokerHubError.Code(rawValue: "hub.forbidden")
    /// The body is not in the media type the route takes.
    public static let unsupportedMediaType = BrokerHubError.Code(rawValue: "request.unsupported_media_type")
    /// The caller is not allowed.
    public static let unauthorized = BrokerHubError.Code(rawValue: "hub.unauthorized")
    /// An idempotency key was reused for a different request.
    public static let idempotencyConflict = BrokerHubError.Code(rawValue: "hub.idempotency_conflict")
    /// An order was sent but whether the broker took it is unknown: check the order book before resending.
    public static let outcomeUnknown = BrokerHubError.Code(rawValue: "hub.order_outcome_unknown")
    /// No route has this path.
    public static let noRoute = BrokerHubError.Code(rawValue: "request.no_route")
    /// The path exists, the method does not (the answer's `Allow` names those that do).
    public static let methodNotAllowed = BrokerHubError.Code(rawValue: "request.method_not_allowed")
    /// The body is larger than the route takes.
    public static let tooLarge = BrokerHubError.Code(rawValue: "request.too_large")
}
