import BrokerCore
import HubEngine

/// The hub's own errors that are not the symbol's fault (busy, its breaker open, unreachable, no answer in time):
/// history, verification and backfill wait them out after 1, 2 and 4 s, then let them stop the run — every later
/// call would meet them too.
enum HubWaits {
    static func waitsOut(_ error: BrokerHubError) -> Bool {
        [BrokerHubError.Code.unavailable, .circuitOpen, .queueFull, .deadlineExceeded].contains(error.code)
    }

    /// `operation`'s result, waiting out what `waitsOut` names three times.
    static func retrying<T: Sendable>(clock: any HubClock, _ operation: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await operation()
            } catch let error as BrokerHubError where waitsOut(error) && attempt < 3 {
                try await clock.sleep(for: .seconds(1 << attempt))
                attempt += 1
            }
        }
    }
}
