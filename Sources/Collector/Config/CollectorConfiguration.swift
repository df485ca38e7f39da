import BrokerClients
import BrokerCore
import Foundation
import Realtime

/// What the collector collects and how. Accounts come from the same sources as the hub's (the command
/// reads them with `HubConfiguration`); this struct holds only what the collector needs.
public struct CollectorConfiguration: Sendable {
    /// Broker accounts (app keys); one realtime session per account.
    public var accounts: [BrokerAccount] = []
    /// WebSocket URL per provider, e.g. `ws://ops.koreainvestment.com:21000` and
    /// `wss://api.kiwoom.com:10000/api/dostk/websocket`.
    public var webSocketURLs: [Provider: String] = Self.realWebSocketURLs
    /// Registrations wanted per provider.
    public var subscriptions: [Provider: Set<SubscriptionKey>] = [:]
    /// Registrations one session may hold, per provider (KIS: 41).
    public var capacity: [Provider: Int] = [.kis: 41, .kiwoom: 41]
    /// Ticks and order books on separate sessions.
    public var splitChannels = false
    /// KIS execution notices for this HTS ID: the first KIS session subscribes (`H0STCNI0`, or `H0STCNI9`
    /// when its account is a paper one), decrypts them and keeps them as raw frames.
    public var kisNoticeHTSID: String?
    public var ackTimeout: Duration = .seconds(10)
    /// Events published to the bus in one call at most.
    public var publishBatchSize = 500
    /// Events buffered between sockets and the bus before readers wait.
    public var bufferCapacity = 50_000
    public var tickInterval: Duration = .milliseconds(250)
    public var reconnect = ReconnectPolicy.Configuration()
    public var watchdog = RealtimeWatchdog.Thresholds()
    /// Whether the market is open (the watchdog only acts then). Default: the KRX regular session.
    public var marketOpen: @Sendable (Date) -> Bool = { KRXCalendar().isRegularSession(at: $0) }

    public init() {}

    public static let realWebSocketURLs: [Provider: String] = [
        .kis: "ws://ops.koreainvestment.com:21000",
        .kiwoom: "wss://api.kiwoom.com:10000/api/dostk/websocket",
    ]

    /// The WebSocket URLs of a mock broker served at `base` (`http://host:port`).
    public static func mockWebSocketURLs(base: String) -> [Provider: String] {
        let ws = (base.hasPrefix("https") ? "wss" : "ws") + base.drop { $0 != ":" }
        return [.kis: ws + "/tryitout", .kiwoom: ws + "/api/dostk/websocket"]
    }

    /// Wants `channels` of `symbols` on `provider`.
    public mutating func want(_ provider: Provider, channels: [RealtimeChannel], symbols: [String]) {
        for channel in channels where channel != .system {
            for symbol in symbols { subscriptions[provider, default: []].insert(SubscriptionKey(channel, symbol)) }
        }
    }
}
