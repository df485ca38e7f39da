import Foundation

/// The durable bus between collector and archiver. Implementations: `JournalEventBus` (embedded, a local
/// journal with batched fsync) and `RedisEventBus` (Redis Streams with consumer groups). Both pass the same
/// behavioural suite.
///
/// Delivery is at-least-once per consumer group: an event is redelivered until its group acknowledges it.
public protocol EventBus: Sendable {
    /// Appends events; when it returns they are durable (as the implementation defines it) and count as
    /// published.
    func publish(_ events: [RealtimeEvent]) async throws

    /// Up to `maximum` events not yet acknowledged by `group`, waiting up to `wait` for the first one. Events
    /// delivered to a consumer that died are delivered again (after `redeliverAfter` for Redis).
    func read(group: String, consumer: String, maximum: Int, wait: Duration) async throws -> [BusDelivery]

    /// Acknowledges deliveries of `group`: they are never delivered to it again.
    func acknowledge(_ deliveries: [BusDelivery], group: String) async throws

    /// Events published so far (durable, survives restarts), per provider, channel and symbol: the
    /// "published" side of the ledger.
    func publishedCounts() async throws -> [LedgerKey: Int64]
}

/// One row of the ledger: what was published and stored is counted per provider, channel and symbol.
public struct LedgerKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var provider: String
    public var channel: RealtimeChannel
    public var symbol: String

    public init(provider: String, channel: RealtimeChannel, symbol: String) {
        self.provider = provider
        self.channel = channel
        self.symbol = symbol
    }

    public static func < (lhs: LedgerKey, rhs: LedgerKey) -> Bool {
        (lhs.provider, lhs.channel.rawValue, lhs.symbol) < (rhs.provider, rhs.channel.rawValue, rhs.symbol)
    }

    public var description: String { "\(provider)/\(channel.rawValue)/\(symbol)" }
}

/// One event as delivered to a consumer group, with the position needed to acknowledge it.
public struct BusDelivery: Sendable, Hashable {
    /// Opaque position in the bus (journal sequence, stream entry id).
    public var position: String
    public var event: RealtimeEvent

    public init(position: String, event: RealtimeEvent) {
        self.position = position
        self.event = event
    }
}
