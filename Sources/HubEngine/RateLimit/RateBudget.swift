import BrokerClients
import BrokerCore

/// "At most `limit` sends in any rolling `window`" for one scope (an app key, an app key and TR, …).
public struct RateBudget: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Identifies the scope, e.g. `kis:PSxxxx…:s` — every hub process uses the same name for the same budget.
    public var name: String
    public var limit: Int
    public var window: Duration

    public init(name: String, limit: Int, window: Duration) {
        self.name = name
        self.limit = limit
        self.window = window
    }

    public var description: String { "\(name) \(limit)/\(window)" }
}

/// Layered limits per provider, with the brokers' real defaults.
public struct RateLimitPolicy: Sendable, Hashable {
    /// KIS sends per second per real-account app key (18 since 2026-04-20; was 20).
    public var kisRealPerSecond = 18
    /// KIS sends per second per paper-account app key (1 since 2026-04-20; was 2).
    public var kisPaperPerSecond = 1
    /// Optional KIS cap per minute per app key.
    public var kisPerMinute: Int?
    /// Kiwoom sends per second per app key, all api-ids (5, 조회 초당 5건).
    public var kiwoomTotalPerSecond = 5
    /// Kiwoom sends per second per app key and api-id.
    public var kiwoomPerTransactionPerSecond = 2
    /// Extra caps per transaction id (either broker), per second.
    public var perTransaction: [String: Int] = [:]
    /// Added to every window to absorb network jitter: the broker counts arrivals, which can bunch up.
    public var jitterAllowance: Duration = .milliseconds(40)
    /// Minimum gap between consecutive sends as a fraction of `window / limit`: 1 paces sends evenly (no
    /// bursts for jitter to compress into a violation), 0 lets an idle budget go out in one burst.
    public var smoothing = 1.0

    public init() {}

    /// The budgets one send of `transaction` for `account` must fit in.
    public func budgets(for account: BrokerAccount, transaction: String) -> [RateBudget] {
        let key = "\(account.provider.rawValue):\(account.appKey)"
        var budgets: [RateBudget] = []
        switch account.provider {
        case .kis:
            budgets.append(RateBudget(name: "\(key):s", limit: account.kind == .real ? kisRealPerSecond : kisPaperPerSecond, window: .seconds(1)))
            if let kisPerMinute { budgets.append(RateBudget(name: "\(key):m", limit: kisPerMinute, window: .seconds(60))) }
        case .kiwoom:
            budgets.append(RateBudget(name: "\(key):s", limit: kiwoomTotalPerSecond, window: .seconds(1)))
            budgets.append(RateBudget(name: "\(key):\(transaction):s", limit: kiwoomPerTransactionPerSecond, window: .seconds(1)))
        }
        if let cap = perTransaction[transaction] {
            budgets.append(RateBudget(name: "\(key):\(transaction):cap", limit: cap, window: .seconds(1)))
        }
        return budgets
    }
}
