import BrokerCore

/// One set of broker credentials the hub works for. The secret never appears in descriptions or logs.
public struct BrokerAccount: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        case real, paper
    }

    public var provider: Provider
    public var appKey: String
    public var secret: String
    /// Account number (KIS `CANO-ACNT_PRDT_CD`); part of the token's identity.
    public var account: String
    public var kind: Kind
    /// REST base URL, e.g. `https://openapi.koreainvestment.com:9443` or the mock's.
    public var baseURL: String

    public init(provider: Provider, appKey: String, secret: String, account: String = "default", kind: Kind = .real, baseURL: String) {
        self.provider = provider
        self.appKey = appKey
        self.secret = secret
        self.account = account
        self.kind = kind
        self.baseURL = baseURL
    }

    /// The app key shortened for logs and metrics.
    public var redactedAppKey: String { String(appKey.prefix(6)) + "…" }

    /// A stable identity for budgets and tokens: provider, app key and account.
    public var identity: String { "\(provider.rawValue):\(appKey):\(account)" }

    public var description: String {
        "BrokerAccount(\(provider.rawValue), \(redactedAppKey), account \(account), \(kind.rawValue))"
    }
}
