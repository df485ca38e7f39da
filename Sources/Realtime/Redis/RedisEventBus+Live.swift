import RedisClient

extension RedisEventBus {
    /// `PSUBSCRIBE {livePrefix}{pattern}` on a dedicated connection; returns once Redis confirmed it.
    /// Every publisher of the bus, in any process, reaches it. The stream ends when the client shuts down.
    public func live(pattern: String) async throws -> AsyncStream<RealtimeEvent> {
        let subscription = try await client.subscribe(patterns: [configuration.livePrefix + pattern])
        let (stream, continuation) = AsyncStream.makeStream(of: RealtimeEvent.self, bufferingPolicy: .bufferingNewest(max(1, configuration.liveBufferSize)))
        let logger = logger
        let pump = Task {
            for await message in subscription {
                do {
                    continuation.yield(try RealtimeEventCodec.decode(message.payload))
                } catch {
                    logger.warning("redis bus live message cannot be decoded", metadata: ["bus.channel": "\(message.channel)", "bus.error": "\(error)"])
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            pump.cancel()
            subscription.cancel()
        }
        return stream
    }
}
