import Realtime

/// One realtime registration: a channel (`ticker` or `orderbook`) on a symbol.
public struct SubscriptionKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var channel: RealtimeChannel
    public var symbol: String

    public init(_ channel: RealtimeChannel, _ symbol: String) {
        self.channel = channel
        self.symbol = symbol
    }

    public static func < (lhs: SubscriptionKey, rhs: SubscriptionKey) -> Bool {
        (lhs.channel.rawValue, lhs.symbol) < (rhs.channel.rawValue, rhs.symbol)
    }

    public var description: String { "\(channel.rawValue):\(symbol)" }
}
