/// Messages from `SUBSCRIBE`/`PSUBSCRIBE` on a dedicated connection.
///
/// Iterate it once. Ending the iteration (task cancelled), calling ``cancel()`` or shutting the client down
/// closes the connection. After a dropped connection it reconnects with the client's backoff and subscribes
/// again; messages published while disconnected are lost (Pub/Sub semantics).
public struct RedisSubscription: AsyncSequence, Sendable {
    public typealias Element = RedisPubSubMessage

    let stream: AsyncStream<RedisPubSubMessage>
    let driver: SubscriptionDriver

    public func makeAsyncIterator() -> AsyncStream<RedisPubSubMessage>.Iterator {
        stream.makeAsyncIterator()
    }

    /// Unsubscribes (closes the dedicated connection) and ends the sequence.
    public func cancel() {
        driver.cancel()
    }

    /// Number of times the subscription connected again after a drop.
    public var resubscribeCount: Int { driver.resubscribeCount }
}
