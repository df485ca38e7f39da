import Foundation
import Synchronization

/// Time for everything in the hub that waits or expires (tokens, limiter, backoff, leases, breakers).
/// Tests inject `ManualClock` (the BrokerHubTesting target) to make them fast and deterministic.
public protocol HubClock: Sendable {
    /// Wall-clock now.
    var now: Date { get }
    /// Suspends until `instant` (returns at once when it has passed); throws on cancellation.
    func sleep(until instant: Date) async throws
}

extension HubClock {
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now.addingTimeInterval(duration.timeInterval))
    }
}

/// The system clock.
public struct SystemClock: HubClock {
    public init() {}
    public var now: Date { Date() }

    public func sleep(until instant: Date) async throws {
        let delay = instant.timeIntervalSinceNow
        if delay > 0 { try await Task.sleep(for: .nanoseconds(Int64(delay * 1e9))) } else { try Task.checkCancellation() }
    }
}
