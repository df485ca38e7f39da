import BrokerClients
import BrokerCore
import Foundation

/// What a caller asks the hub to do.
public struct HubRequest: Sendable, Hashable {
    public var provider: Provider
    /// TR id or api-id from the catalogue.
    public var transaction: String
    public var parameters: [String: String]
    public var priority: Priority
    /// Pages to follow at most (continuation is the hub's business).
    public var maxPages: Int
    public var timeout: Duration
    public var idempotencyKey: String?
    /// Which account (`BrokerAccount.identity`); the provider's first when nil.
    public var account: String?
    /// Provenance for the records (e.g. `.backfill` from the backfill job).
    public var sourceType: SourceType?

    public init(
        provider: Provider, transaction: String, parameters: [String: String] = [:], priority: Priority = .interactive,
        maxPages: Int = 1, timeout: Duration = .seconds(10), idempotencyKey: String? = nil, account: String? = nil,
        sourceType: SourceType? = nil
    ) {
        self.provider = provider
        self.transaction = transaction
        self.parameters = parameters
        self.priority = priority
        self.maxPages = maxPages
        self.timeout = timeout
        self.idempotencyKey = idempotencyKey
        self.account = account
        self.sourceType = sourceType
    }
}

/// The answer to a synchronous execution.
public struct HubResult: Sendable {
    public var taskID: String
    public var records: [MarketRecord]
    public var skipped: [String]
    public var pages: [BrokerResponse]
    public var attempts: Int
    public var queueWait: Duration
    /// Served from the history cache, or shared with an identical concurrent call.
    public var cached: Bool
    public var coalesced: Bool
}
