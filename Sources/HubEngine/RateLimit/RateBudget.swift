import BrokerClients
import BrokerCore

/// "At most `limit` sends in any rolling `window`" for one scope (an app key, an app key and TR, …).
public struct RateBudget: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What a budget counts, so that a broker's refusal can be matched to the budget it concerns.
    public enum Scope: String, Sendable, Hashable, Codable {
        /// All sends of an app key per second.
        case key
        /// All sends of an app key per minute.
        case keyPerMinute
        /// Sends of one transaction (Kiwoom api-id) per app key per second.
        case transaction
        /// A configured extra cap per transaction.
        case cap
    }

    /// Identifies the scope, e.g. `kis:PSxxxx…:s` — every hub process uses the same name for the same budget.
    public var name: String
    public var limit: Int
    public var window: Duration
    public var scope: Scope
    /// The name with the app key replaced by its digest (`kis:9f2c41d7:s`): safe for logs, metrics, status
    /// and shared stores.
    public var id: String

    public init(name: String, limit: Int, window: Duration, scope: Scope = .key, id: String? = nil) {
        self.name = name
        self.limit = limit
        self.window = window
        self.scope = scope
        self.id = id ?? name
    }

    public var description: String { "\(id) \(limit)/\(window)" }
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
        let id = "\(account.provider.rawValue):\(TokenKey(account, kind: .access).appKeyDigest)"
        func budget(_ suffix: String, _ limit: Int, _ window: Duration, _ scope: RateBudget.Scope) -> RateBudget {
            RateBudget(name: "\(key):\(suffix)", limit: limit, window: window, scope: scope, id: "\(id):\(suffix)")
        }
        var budgets: [RateBudget] = []
        switch account.provider {
        case .kis:
            budgets.append(budget("s", account.kind == .real ? kisRealPerSecond : kisPaperPerSecond, .seconds(1), .key))
            if let kisPerMinute { budgets.append(budget("m", kisPerMinute, .seconds(60), .keyPerMinute)) }
        case .kiwoom:
            budgets.append(budget("s", kiwoomTotalPerSecond, .seconds(1), .key))
            budgets.append(budget("\(transaction):s", kiwoomPerTransactionPerSecond, .seconds(1), .transaction))
        }
        if let cap = perTransaction[transaction] {
            budgets.append(budget("\(transaction):cap", cap, .seconds(1), .cap))
        }
        return budgets
    }
}
