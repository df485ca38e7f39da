import BrokerClients
import BrokerCore
import Foundation

/// Everything the hub can say about itself at one instant — the one value `/v1/status`, `/ready`, `/metrics`,
/// the dashboard, the demo and `bench hub` render (`Hub.snapshot`).
public struct HubStatus: Sendable {
    /// One configured provider (its first account): sends, budget, breaker, token.
    public struct ProviderStatus: Sendable {
        public var provider: Provider
        /// The app key's first characters only.
        public var appKey: String
        public var kind: BrokerAccount.Kind
        /// Broker sends so far (retries included).
        public var sends: Int
        /// Sends per second over the snapshot's rate window.
        public var sendRate: Double
        /// Share of the per-second budget in force used over the rate window.
        public var budgetUtilisation: Double
        public var budgetConfigured: Int
        /// The per-second limit in force: lower than the configured one after the broker's refusals.
        public var budgetLimit: Int
        public var breaker: CircuitBreaker.State
        public var breakerOpened: Int
        /// Access tokens this process issued for the provider.
        public var tokensIssued: Int
        /// WebSocket approval keys this process issued for the provider (KIS).
        public var approvalKeysIssued: Int = 0
        /// The last token issuance that failed, until one succeeds.
        public var tokenIssueFailure: TokenManager.IssueFailure?
        public var tokenExpiresAt: Date?
        /// Sends per `historyBucket` seconds over the last five minutes, oldest first.
        public var sendHistory: [Int] = []
    }

    /// Seconds per `ProviderStatus.sendHistory` entry.
    public static let historyBucket = 5

    /// Queued tasks per priority class.
    public var queueDepth: [Priority: Int]
    public var workersBusy: Int
    /// Calls answered by an identical call in flight, and from the history cache.
    public var coalesced: Int
    public var cacheHits: Int
    public var providers: [ProviderStatus]
    /// Budgets lowered after the broker's refusals, by id.
    public var learnedBudgets: [String: LearnedBudget]
    /// The window `sendRate` and `budgetUtilisation` were measured over, in seconds.
    public var rateWindow: Double

    /// Tasks queued over every class.
    public var totalQueued: Int { queueDepth.values.reduce(0, +) }

    /// The status of `provider`, when it is configured.
    public func provider(_ provider: Provider) -> ProviderStatus? { providers.first { $0.provider == provider } }
}
