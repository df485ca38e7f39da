import BrokerCore
import BrokerWire
import Synchronization

/// What the mock broker saw, per provider: tests and benchmarks assert on it (`GET /_mock/stats`).
public final class MockStats: Sendable {
    public struct ProviderStats: Sendable, Hashable {
        public var requests: [String: Int] = [:]
        public var rateLimitViolations = 0
        public var violationsByKey: [String: Int] = [:]
        public var tokensIssued = 0
        public var tokensReused = 0
        public var tokenIssueRejected = 0
        public var approvalKeysIssued = 0
        public var wsSessions = 0
        public var wsSessionsTotal = 0
        public var wsSubscriptions = 0
        public var framesSent = 0
        public var recordsSent = 0
        public var recordsBySymbol: [String: Int] = [:]
        public var faultsInjected: [String: Int] = [:]
        public var errors: [String: Int] = [:]
    }

    private let state = Mutex<[Provider: ProviderStats]>([.kis: ProviderStats(), .kiwoom: ProviderStats()])

    public init() {}

    func update(_ provider: Provider, _ change: (inout ProviderStats) -> Void) {
        state.withLock { change(&$0[provider, default: ProviderStats()]) }
    }

    public func snapshot(_ provider: Provider) -> ProviderStats {
        state.withLock { $0[provider] ?? ProviderStats() }
    }

    func request(_ provider: Provider, _ transaction: String) { update(provider) { $0.requests[transaction, default: 0] += 1 } }
    func error(_ provider: Provider, _ code: String) { update(provider) { $0.errors[code, default: 0] += 1 } }
    func fault(_ provider: Provider, _ kind: String) { update(provider) { $0.faultsInjected[kind, default: 0] += 1 } }

    func violation(_ provider: Provider, appKey: String) {
        update(provider) {
            $0.rateLimitViolations += 1
            $0.violationsByKey[String(appKey.prefix(8)), default: 0] += 1
        }
    }

    func sent(_ provider: Provider, symbols: [String]) {
        update(provider) {
            $0.framesSent += 1
            $0.recordsSent += symbols.count
            for symbol in symbols { $0.recordsBySymbol[symbol, default: 0] += 1 }
        }
    }

    /// The JSON document served at `/_mock/stats`.
    public func json() -> String {
        let all = state.withLock { $0 }
        var root = JSONWriter.Object()
        for provider in Provider.allCases {
            let stats = all[provider] ?? ProviderStats()
            var object = JSONWriter.Object()
            object.add("requests", raw: Self.counts(stats.requests))
            object.add("requests_total", Int64(stats.requests.values.reduce(0, +)))
            object.add("rate_limit_violations", Int64(stats.rateLimitViolations))
            object.add("rate_limit_violations_by_key", raw: Self.counts(stats.violationsByKey))
            object.add("tokens_issued", Int64(stats.tokensIssued))
            object.add("tokens_reused", Int64(stats.tokensReused))
            object.add("token_issue_rejected", Int64(stats.tokenIssueRejected))
            object.add("approval_keys_issued", Int64(stats.approvalKeysIssued))
            object.add("ws_sessions", Int64(stats.wsSessions))
            object.add("ws_sessions_total", Int64(stats.wsSessionsTotal))
            object.add("ws_subscriptions", Int64(stats.wsSubscriptions))
            object.add("frames_sent", Int64(stats.framesSent))
            object.add("records_sent", Int64(stats.recordsSent))
            object.add("records_sent_by_symbol", raw: Self.counts(stats.recordsBySymbol))
            object.add("faults_injected", raw: Self.counts(stats.faultsInjected))
            object.add("errors", raw: Self.counts(stats.errors))
            root.add(provider.rawValue, raw: object.json)
        }
        return root.json
    }

    static func counts(_ values: [String: Int]) -> String {
        var object = JSONWriter.Object()
        for key in values.keys.sorted() { object.add(key, Int64(values[key]!)) }
        return object.json
    }
}
