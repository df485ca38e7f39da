/// Keys, leases and retention of a `RedisEventBus`.
public struct RedisEventBusConfiguration: Sendable {
    /// Prefix of every key, in braces (a hash tag): streams `{prefix}:stream:{channel}`, counts `{prefix}:published`.
    public var keyPrefix = "brokerhub:bus"
    /// Prefix of the live Pub/Sub channels (`{livePrefix}ticker.005930`); empty by default.
    public var livePrefix = ""
    /// Deliveries idle (unacknowledged) for this long are claimed (`XAUTOCLAIM`) by the next reader of their
    /// group.
    public var redeliverAfter: Duration = .seconds(30)
    /// `compact()` trims entries every known group has acknowledged once they are older than this.
    public var retention: Duration = .seconds(3_600)
    /// How often `run()` compacts.
    public var compactionInterval: Duration = .seconds(60)
    /// Groups created (at the oldest entry) before the first publish, so no event is published before its
    /// consumers' group exists.
    public var groups: [String] = []
    /// Events buffered per live subscriber.
    public var liveBufferSize = 4_096

    public init(keyPrefix: String = "brokerhub:bus") {
        self.keyPrefix = keyPrefix
    }
}
