import BrokerCore
import Logging
import ServiceLifecycle

/// Refreshes tokens ahead of expiry in the background; stops on graceful shutdown.
public struct TokenRefresher: Service {
    let manager: TokenManager
    let interval: Duration
    let clock: any HubClock

    public init(manager: TokenManager, interval: Duration = .seconds(30), clock: any HubClock = SystemClock()) {
        self.manager = manager
        self.interval = interval
        self.clock = clock
    }

    public func run() async throws {
        try await runUntilShutdown {
            while !Task.isCancelled {
                try await clock.sleep(for: interval)
                await manager.refreshDue()
            }
        }
    }
}

/// Runs `body` until it returns or a graceful shutdown (or cancellation) stops it.
func runUntilShutdown(_ body: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await cancelWhenGracefulShutdown { try await body() }
    } catch is CancellationError {
        return
    }
}
