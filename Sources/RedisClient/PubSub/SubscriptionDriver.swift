import Logging
import NIOCore
import RedisWire
import Synchronization

/// Owns a subscription's connection: subscribes, routes messages into the stream, reconnects after drops.
final class SubscriptionDriver: Sendable {
    let id: Int
    let channels: [String]
    let patterns: [String]
    let configuration: RedisConfiguration
    let logger: Logger
    let continuation: AsyncStream<RedisPubSubMessage>.Continuation
    private let state = Mutex(State())

    private struct State {
        var connection: RedisConnection?
        var cancelled = false
        var loop: Task<Void, Never>?
        var confirmations: (remaining: Int, promise: EventLoopPromise<Void>)?
        var resubscribes = 0
    }

    init(
        id: Int, channels: [String], patterns: [String], configuration: RedisConfiguration, logger: Logger,
        continuation: AsyncStream<RedisPubSubMessage>.Continuation
    ) {
        self.id = id
        self.channels = channels
        self.patterns = patterns
        self.configuration = configuration
        self.logger = logger
        self.continuation = continuation
    }

    var resubscribeCount: Int { state.withLock { $0.resubscribes } }

    /// Connects and subscribes (returns once the server confirmed every channel), then keeps it alive.
    func start(onEnd: @escaping @Sendable () -> Void) async throws {
        let connection = try await connectAndSubscribe()
        let loop = Task { [self] in
            await self.maintain(first: connection)
            onEnd()
        }
        let cancelled = state.withLock { state in
            state.loop = loop
            return state.cancelled
        }
        if cancelled { loop.cancel() }
    }

    func cancel() {
        let (connection, loop, confirmations) = state.withLock { state in
            state.cancelled = true
            let result = (state.connection, state.loop, state.confirmations)
            state.confirmations = nil
            return result
        }
        confirmations?.promise.fail(RedisError(.closed, "subscription cancelled"))
        loop?.cancel()
        connection?.close()
        continuation.finish()
    }

    private func maintain(first: RedisConnection) async {
        var connection: RedisConnection? = first
        var backoff = configuration.reconnectBackoff.initial
        while !Task.isCancelled {
            if let current = connection {
                try? await current.channel.closeFuture.get()
                connection = nil
                if state.withLock({ $0.cancelled }) { break }
                logger.info("redis subscription disconnected", metadata: ["redis.subscription": "\(id)"])
                backoff = configuration.reconnectBackoff.initial
            }
            do {
                try await Task.sleep(for: backoff * Double.random(in: 0.8...1.2))
            } catch {
                break
            }
            do {
                connection = try await connectAndSubscribe()
                state.withLock { $0.resubscribes += 1 }
                RedisMetrics.reconnect()
                logger.info("redis subscription resubscribed", metadata: ["redis.subscription": "\(id)"])
            } catch {
                backoff = min(backoff * 2, configuration.reconnectBackoff.maximum)
                logger.debug("redis subscription reconnect failed", metadata: ["redis.error": "\(error)"])
            }
        }
        state.withLock { $0.connection }?.close()
        continuation.finish()
    }

    private func connectAndSubscribe() async throws -> RedisConnection {
        let connection = try await RedisConnection.connect(
            configuration: configuration, id: id, onPush: { [weak self] value in self?.handle(value) }
        )
        let promise = connection.channel.eventLoop.makePromise(of: Void.self)
        let cancelled = state.withLock { state in
            state.connection = connection
            state.confirmations = (channels.count + patterns.count, promise)
            return state.cancelled
        }
        if cancelled {
            connection.close()
            throw RedisError(.closed, "subscription cancelled")
        }
        let timeout = connection.channel.eventLoop.scheduleTask(in: TimeAmount(configuration.commandTimeout)) {
            promise.fail(RedisError(.timeout, "no subscribe confirmation"))
        }
        var commands: [[RESPArgument]] = []
        if !channels.isEmpty { commands.append(["SUBSCRIBE"] + channels.map { .string($0) }) }
        if !patterns.isEmpty { commands.append(["PSUBSCRIBE"] + patterns.map { .string($0) }) }
        do {
            try await connection.write(commands)
            connection.channel.closeFuture.whenComplete { _ in
                promise.fail(RedisError(.closed, "connection closed while subscribing"))
            }
            try await promise.futureResult.get()
            timeout.cancel()
        } catch {
            timeout.cancel()
            connection.close()
            throw error
        }
        return connection
    }

    /// Called on the event loop for every value on the subscriber connection.
    private func handle(_ value: RESPValue) {
        guard let parts = value.array, let kind = parts.first?.string?.lowercased() else { return }
        switch kind {
        case "message" where parts.count == 3:
            guard let channel = parts[1].string, let payload = parts[2].bytes else { return }
            continuation.yield(RedisPubSubMessage(channel: channel, payload: payload))
        case "pmessage" where parts.count == 4:
            guard let pattern = parts[1].string, let channel = parts[2].string, let payload = parts[3].bytes else { return }
            continuation.yield(RedisPubSubMessage(channel: channel, pattern: pattern, payload: payload))
        case "subscribe", "psubscribe":
            let done: EventLoopPromise<Void>? = state.withLock { state in
                guard var confirmations = state.confirmations else { return nil }
                confirmations.remaining -= 1
                if confirmations.remaining <= 0 {
                    state.confirmations = nil
                    return confirmations.promise
                }
                state.confirmations = confirmations
                return nil
            }
            done?.succeed()
        default:
            break
        }
    }
}
