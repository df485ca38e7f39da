import Foundation

/// Grants sends so that no rolling window (plus the jitter allowance) ever holds more than its budget,
/// across every caller that shares the limiter. Waits rather than rejects. Implementations:
/// `LocalRateLimiter` (one process) and a Redis one shared by many processes.
public protocol RateLimiter: Sendable {
    /// Waits until one send fits every budget and records it; returns when the caller may send.
    /// Throws `.deadlineExceeded` (without consuming a slot) when the slot would come after `deadline`,
    /// and `CancellationError` when cancelled.
    func acquire(_ budgets: [RateBudget], deadline: Date?) async throws
}
