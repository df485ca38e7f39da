import BrokerCore
import Foundation

/// One realtime event as it travels collector → bus → archiver. The collector gives every event a stable
/// `id` when it publishes it; redeliveries keep it, so the archiver can store each event exactly once.
public struct RealtimeEvent: Sendable, Hashable {
    /// Stable id assigned at the collector: `{collector run id}-{sequence}` (unique across runs).
    public var id: String
    public var channel: RealtimeChannel
    public var provider: Provider
    /// Symbol for market data; the alert kind for `system` events.
    public var symbol: String
    /// When the collector received the frame.
    public var receivedAt: Date
    public var payload: Payload

    public enum Payload: Sendable, Hashable {
        case tick(Tick)
        case orderBook(OrderBook)
        case alert(RealtimeAlert)
    }

    public init(id: String, channel: RealtimeChannel, provider: Provider, symbol: String, receivedAt: Date, payload: Payload) {
        self.id = id
        self.channel = channel
        self.provider = provider
        self.symbol = symbol
        self.receivedAt = receivedAt
        self.payload = payload
    }
}

/// The bus channels: `ticker.*`, `orderbook.*`, `system.*` for live consumers.
public enum RealtimeChannel: String, Sendable, Hashable, Codable, CaseIterable {
    case ticker
    case orderbook
    case system
}

/// A silent failure made loud: published on the `system` channel and counted.
public struct RealtimeAlert: Sendable, Hashable, Codable {
    /// e.g. `subscription.refused`, `subscription.cap`, `session.replaced`, `reconnect.exhausted`,
    /// `parser.failure`, `watchdog.silence`, `rawlog.disk_full`.
    public var kind: String
    public var message: String
    public var provider: Provider?
    public var symbol: String?
    public var at: Date

    public init(kind: String, message: String, provider: Provider? = nil, symbol: String? = nil, at: Date) {
        self.kind = kind
        self.message = message
        self.provider = provider
        self.symbol = symbol
        self.at = at
    }
}

extension RealtimeEvent {
    /// The live fan-out topic: `ticker.{symbol}`, `orderbook.{symbol}`, `system.{kind}` (the `symbol` of a
    /// `system` event is its alert kind).
    public var liveTopic: String { "\(channel.rawValue).\(symbol)" }

    /// The ledger row this event counts in.
    public var ledgerKey: LedgerKey { LedgerKey(provider: provider.rawValue, channel: channel, symbol: symbol) }
}
