import BrokerCore
import Collector

/// One registration a gateway client can hold: a channel of a symbol at a provider. Clients holding the same
/// key share one broker registration.
public struct GatewayKey: Sendable, Hashable, CustomStringConvertible {
    public var provider: Provider
    public var key: SubscriptionKey

    public init(_ provider: Provider, _ key: SubscriptionKey) {
        self.provider = provider
        self.key = key
    }

    public var description: String { "\(provider.rawValue):\(key)" }
}

/// A gateway client's id, unique in the process.
public struct GatewayClientID: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) {
        self.value = value
    }

    public var description: String { "c\(value)" }
}
