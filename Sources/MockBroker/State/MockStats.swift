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
        /// Approval-key requests refused for coming faster than `kisApprovalIssueInterval`.
        public var approvalKeysRejected = 0
        /// Order requests that arrived (before any fault or check).
        public var ordersReceived = 0
        public var wsSessions = 0
        public var wsSessionsTotal = 0
        public var wsSubscriptions = 0
        public var framesSent = 0
        public var recordsSent = 0
        public var recordsBySymbol: [String: Int] = [:]
        /// Records sent per channel (`ticker`, `orderbook`, `notice`) and symbol.
        public var recordsByChannel: [String: [String: Int]] = [:]
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

    /// Every provider's statistics at once (one consistent view).
    public func snapshot() -> [Provider: ProviderStats] {
        state.withLock { $0 }
    }

    /// Records sent on `channel` (`ticker`, `orderbook`, `notice`), for one symbol or all of them.
    public func recordsSent(_ provider: Provider, channel: String, symbol: String? = nil) -> Int {
        let counts = snapshot(provider).recordsByChannel[channel] ?? [:]
        return symbol.map { counts[$0] ?? 0 } ?? counts.values.reduce(0, +)
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

    /// One realtime frame went out carrying `records` (channel, symbol) records.
    func sent(_ provider: Provider, records: [(channel: RecordChannel, symbol: String)]) {
        update(provider) {
            $0.framesSent += 1
            $0.recordsSent += records.count
            for record in records {
                $0.recordsBySymbol[record.symbol, default: 0] += 1
                $0.recordsByChannel[record.channel.rawValue, default: [:]][record.symbol, default: 0] += 1
            }
        }
    }

    /// One realtime frame went out carrying `count` records of one channel and symbol.
    func sent(_ provider: Provider, channel: RecordChannel, symbol: String, count: Int = 1) {
        update(provider) {
            $0.framesSent += 1
            $0.recordsSent += count
            $0.recordsBySymbol[symbol, default: 0] += count
            $0.recordsByChannel[channel.rawValue, default: [:]][symbol, default: 0] += count
        }
    }

    /// The channel a realtime record belongs to (the bus's names): KIS `H0STCNT0`/Kiwoom `0B` are `ticker`,
    /// `H0STASP0`/`0D` `orderbook`, `H0STCNI0` `notice`.
    enum RecordChannel: String, Sendable {
        case ticker, orderbook, notice
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
            object.add("approval_keys_rejected", Int64(stats.approvalKeysRejected))
            object.add("orders_received", Int64(stats.ordersReceived))
            object.add("ws_sessions", Int64(stats.wsSessions))
            object.add("ws_sessions_total", Int64(stats.wsSessionsTotal))
            object.add("ws_subscriptions", Int64(stats.wsSubscriptions))
            object.add("frames_sent", Int64(stats.framesSent))
            object.add("records_sent", Int64(stats.recordsSent))
            object.add("records_sent_by_symbol", raw: Self.counts(stats.recordsBySymbol))
            var channels = JSONWriter.Object()
            for channel in stats.recordsByChannel.keys.sorted() { channels.add(channel, raw: Self.counts(stats.recordsByChannel[channel]!)) }
            object.add("records_sent_by_channel", raw: channels.json)
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
