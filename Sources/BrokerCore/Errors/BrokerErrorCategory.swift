/// What a broker error means for the caller, and so what BrokerHub does about it.
public enum BrokerErrorCategory: String, Sendable, Hashable, Codable, CaseIterable {
    /// Too many requests: slow down, then retry (the request was not processed).
    case rateLimited = "rate_limited"
    /// The token has expired: re-issue once, then retry.
    case tokenExpired = "token_expired"
    /// The token is not valid (revoked, unknown, wrong scheme): re-issue once, then retry.
    case tokenInvalid = "token_invalid"
    /// The broker refuses to issue another token yet: wait, do not hammer.
    case tokenIssueTooFrequent = "token_issue_too_frequent"
    /// A passing fault (5xx, timeout, gateway trouble): retry with backoff.
    case transient
    /// The request itself is wrong (bad parameter, credentials, unsupported TR): fail fast, never retry.
    case permanent
    /// The symbol or record does not exist: fail fast.
    case notFound = "not_found"

    /// The behaviour the category drives.
    public enum Action: String, Sendable {
        case slowDownAndRetry, reissueTokenAndRetry, waitForTokenIssuance, retryWithBackoff, failFast
    }

    public var action: Action {
        switch self {
        case .rateLimited: .slowDownAndRetry
        case .tokenExpired, .tokenInvalid: .reissueTokenAndRetry
        case .tokenIssueTooFrequent: .waitForTokenIssuance
        case .transient: .retryWithBackoff
        case .permanent, .notFound: .failFast
        }
    }

    /// Whether the same request may be sent again.
    public var isRetryable: Bool { action != .failFast }
}
