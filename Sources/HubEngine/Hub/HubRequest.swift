import BrokerClients
import BrokerCore
import Crypto
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
    /// Who asks: an opaque, non-secret identity (`HubRequest.caller(apiKey:)`). Idempotency keys are scoped per
    /// caller, so one caller's key never finds another's task; nil when the hub has no API keys (one caller).
    public var caller: String?

    public init(
        provider: Provider, transaction: String, parameters: [String: String] = [:], priority: Priority = .interactive,
        maxPages: Int = 1, timeout: Duration = .seconds(10), idempotencyKey: String? = nil, account: String? = nil,
        sourceType: SourceType? = nil, caller: String? = nil
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
        self.caller = caller
    }

    /// The caller identity of an API key: a digest prefix, so the key itself is never stored.
    public static func caller(apiKey: String) -> String {
        "key-" + SHA256.hash(data: Data(apiKey.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The idempotency key as stored: the caller's key inside the caller's scope.
    var scopedIdempotencyKey: String? {
        idempotencyKey.map { key in caller.map { "\($0)/\(key)" } ?? key }
    }
}

extension HubTask {
    /// The idempotency key as its caller sent it (without the caller scope the hub stored it in).
    public func idempotencyKey(for caller: String?) -> String? {
        guard let stored = idempotencyKey, let caller, stored.hasPrefix(caller + "/") else { return idempotencyKey }
        return String(stored.dropFirst(caller.count + 1))
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
