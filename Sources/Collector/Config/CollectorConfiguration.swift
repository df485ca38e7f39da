import BrokerClients
import BrokerCore
import Foundation
import Realtime

/// What the collector collects and how. Accounts come from the same sources as the hub's (the command
/// reads them with `HubConfiguration`); this struct holds only what the collector needs.
public struct CollectorConfiguration: Sendable {
    /// Broker accounts (app keys); one realtime session per account.
    public var accounts: [BrokerAccount] = []
    /// WebSocket URL per provider for real accounts, e.g. `ws://ops.koreainvestment.com:21000` and
    /// `wss://api.kiwoom.com:10000/api/dostk/websocket`.
    public var webSocketURLs: [Provider: String] = Self.realWebSocketURLs
    /// WebSocket URL per provider for paper accounts (KIS `:31000`, Kiwoom's mock server).
    public var paperWebSocketURLs: [Provider: String] = Self.paperWebSocketURLs
    /// Registrations wanted per provider.
    public var subscriptions: [Provider: Set<SubscriptionKey>] = [:]
    /// Registrations one session may hold, per provider (KIS: 41), at most `maximumCapacity`.
    public var capacity: [Provider: Int] = [.kis: 41, .kiwoom: 41]
    /// What the brokers take in one session: KIS 41 registrations (OPSP0008 beyond), Kiwoom about 100 codes a
    /// registration (the sheet; the collector sends one `REG` per channel per session). A larger `capacity` is
    /// lowered to this, so a session never asks for what the broker refuses.
    public static let maximumCapacity: [Provider: Int] = [.kis: 41, .kiwoom: 100]
    /// Ticks and order books on separate sessions.
    public var splitChannels = false
    /// Providers whose every account gets a session even without registrations of its own, so that
    /// registrations asked for at run time (`Collector.attach`, the realtime gateway) have a session to go to.
    public var onDemand: Set<Provider> = []
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

    public static let paperWebSocketURLs: [Provider: String] = [
        .kis: "ws://ops.koreainvestment.com:31000",
        .kiwoom: "wss://mockapi.kiwoom.com:10000/api/dostk/websocket",
    ]

    /// The endpoint of `account`'s sessions: the paper one for a paper account (reference sheets, section 1).
    public func webSocketURL(for account: BrokerAccount) -> String? {
        account.kind == .paper ? paperWebSocketURLs[account.provider] : webSocketURLs[account.provider]
    }

    /// Points every account of `provider`, real or paper, at `url` (a mock broker, a test server).
    public mutating func useWebSocketURL(_ url: String, for provider: Provider) {
        webSocketURLs[provider] = url
        paperWebSocketURLs[provider] = url
    }

    /// Points every account, real or paper, at the mock broker served at `base` (it tells the keys apart).
    public mutating func useMockBroker(base: String) {
        for (provider, url) in Self.mockWebSocketURLs(base: base) { useWebSocketURL(url, for: provider) }
    }

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
