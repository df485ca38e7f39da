import BrokerCore

/// How often and how soon a failed send is retried, driven by the error taxonomy: exponential backoff with
/// full jitter, bounded attempts, never for permanent errors or unknown symbols.
public struct RetryPolicy: Sendable, Hashable {
    /// Sends per request, the first included.
    public var maxAttempts = 4
    public var baseDelay: Duration = .milliseconds(200)
    public var maxDelay: Duration = .seconds(5)
    /// The pause after a rate-limit answer before trying again (the limiter also spaces the retry).
    public var rateLimitedDelay: Duration = .milliseconds(500)

    public init() {}

    /// The pause before attempt `attempt + 1` after a failure of `category`, or nil to stop.
    /// `random` is uniform in [0, 1) (injected so tests are deterministic).
    public func delay(after attempt: Int, category: BrokerErrorCategory, random: Double) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        switch category.action {
        case .failFast, .waitForTokenIssuance: return nil
        case .reissueTokenAndRetry: return .zero
        case .slowDownAndRetry: return rateLimitedDelay
        case .retryWithBackoff:
            let ceiling = min(maxDelay.timeInterval, baseDelay.timeInterval * Double(1 << min(attempt - 1, 20)))
            // Full jitter, but never less than half the base so retries do not stampede.
            return .nanoseconds(Int64(max(baseDelay.timeInterval / 2, ceiling * random) * 1e9))
        }
    }
}
