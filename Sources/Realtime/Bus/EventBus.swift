import Foundation

/// The durable bus between collector and archiver. Implementations: `JournalEventBus` (embedded, a SQLite
/// journal with group commit) and `RedisEventBus` (Redis Streams with consumer groups). Both pass the same
/// behavioural suite (Tests/PipelineTests/BusBehaviourTests.swift).
///
/// Delivery is at-least-once per consumer group: an event is redelivered until its group acknowledges it.
/// Every group gets every event; the consumers of one group share its events without overlap. Deliveries a
/// consumer has not acknowledged go to any consumer of the group once they are `redeliverAfter` old (a
/// consumer that died), and back to the same consumer name at once when it reads from a new bus instance
/// (a restarted process). A group that does not exist yet is created on its first read, positioned at the
/// oldest retained event.
public protocol EventBus: Sendable {
    /// Appends events; when it returns they are durable (as the implementation defines it) and count as
    /// published.
    func publish(_ events: [RealtimeEvent]) async throws

    /// Up to `maximum` events not yet acknowledged by `group`, waiting up to `wait` for the first one (an
    /// empty array when none came in time or the task was cancelled). Redeliveries (see above) come before
    /// new events.
    func read(group: String, consumer: String, maximum: Int, wait: Duration) async throws -> [BusDelivery]

    /// Acknowledges deliveries of `group`: they are never delivered to it again.
    func acknowledge(_ deliveries: [BusDelivery], group: String) async throws

    /// Events published so far (durable, survives restarts), per provider, channel and symbol: the
    /// "published" side of the ledger.
    func publishedCounts() async throws -> [LedgerKey: Int64]

    /// Live fan-out for dashboards and other non-durable consumers: every event published from now on (by
    /// any publisher of this bus) whose topic (`RealtimeEvent.liveTopic`: `ticker.{symbol}`,
    /// `orderbook.{symbol}`, `system.{kind}`) matches `pattern` (a glob: `*` any run, `?` one character,
    /// e.g. `ticker.*`). Returns once the subscription is in place. Lossy by design: a slow reader loses
    /// the oldest buffered events, never blocks publishers. Ends when the bus closes.
    func live(pattern: String) async throws -> AsyncStream<RealtimeEvent>
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

/// One event as delivered to a consumer group, with the position needed to acknowledge it. Positions are
/// compared only for equality and passed back to `acknowledge` of the same bus.
public struct BusDelivery: Sendable, Hashable {
    /// Opaque position in the bus (journal sequence number, Redis `{stream key}/{entry id}`).
    public var position: String
    public var event: RealtimeEvent

    public init(position: String, event: RealtimeEvent) {
        self.position = position
        self.event = event
    }
}
