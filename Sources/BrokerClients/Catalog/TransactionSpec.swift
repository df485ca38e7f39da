import BrokerCore

/// A transaction BrokerHub knows how to send: where, how, and which parameters it takes.
public struct TransactionSpec: Sendable, Hashable {
    public var provider: Provider
    /// TR id (KIS) or api-id (Kiwoom).
    public var id: String
    public var method: String
    public var path: String
    public var parameters: [ParameterSpec]
    /// Whether results never change once the period is over (past daily candles), so they may be cached.
    public var historical: Bool
    public var summary: String

    public init(provider: Provider, id: String, method: String, path: String, parameters: [ParameterSpec], historical: Bool = false, summary: String) {
        self.provider = provider
        self.id = id
        self.method = method
        self.path = path
        self.parameters = parameters
        self.historical = historical
        self.summary = summary
    }
}
