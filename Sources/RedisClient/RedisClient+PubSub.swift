import Logging

extension RedisClient {
    /// Subscribes to `channels` and `patterns` on a dedicated connection; returns once the server confirmed them.
    public func subscribe(channels: [String] = [], patterns: [String] = []) async throws -> RedisSubscription {
        guard !channels.isEmpty || !patterns.isEmpty else {
            throw RedisError(.invalidArgument, "subscribe needs at least one channel or pattern")
        }
        let (stream, continuation) = AsyncStream.makeStream(of: RedisPubSubMessage.self, bufferingPolicy: .bufferingNewest(100_000))
        let id = try state.withLock { state in
            guard !state.isShutdown else { throw RedisError(.closed, "client is shut down") }
            defer { state.nextConnectionID += 1 }
            return state.nextConnectionID
        }
        let driver = SubscriptionDriver(
            id: id, channels: channels, patterns: patterns, configuration: configuration, logger: logger,
            continuation: continuation
        )
        continuation.onTermination = { _ in driver.cancel() }
        let registered = state.withLock { state in
            guard !state.isShutdown else { return false }
            state.subscriptions[id] = driver
            return true
        }
        guard registered else { throw RedisError(.closed, "client is shut down") }
        do {
            try await driver.start { [weak self] in
                _ = self?.state.withLock { $0.subscriptions.removeValue(forKey: id) }
            }
        } catch {
            driver.cancel()
            _ = state.withLock { $0.subscriptions.removeValue(forKey: id) }
            RedisMetrics.error((error as? RedisError)?.code ?? .unreachable)
            throw error
        }
        return RedisSubscription(stream: stream, driver: driver)
    }
}
