import BrokerClients
import BrokerCore
import Foundation
import Synchronization

/// Immutable history (past candles) kept in memory: a bounded least-recently-used map from request signature
/// to the normalised answer. A hit is served as it was first normalised — the records keep the time they were
/// received from the broker, and nothing is parsed again.
public final class HistoryCache: Sendable {
    private struct State {
        var entries: [String: (result: HubResult, used: UInt64)] = [:]
        var clock: UInt64 = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 2_048) {
        self.capacity = max(1, capacity)
    }

    public func get(_ key: String) -> HubResult? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            state.clock += 1
            state.entries[key] = (entry.result, state.clock)
            return entry.result
        }
    }

    public func put(_ key: String, result: HubResult) {
        state.withLock { state in
            state.clock += 1
            state.entries[key] = (result, state.clock)
            if state.entries.count > capacity, let oldest = state.entries.min(by: { $0.value.used < $1.value.used })?.key {
                state.entries.removeValue(forKey: oldest)
            }
        }
    }

    public var count: Int { state.withLock { $0.entries.count } }

    /// Whether a request can only ever return the same answer: a historical TR whose range (or day) ends before
    /// today.
    public static func isImmutable(_ request: BrokerRequest, today: KSTDate) -> Bool {
        guard let spec = TransactionCatalog.spec(provider: request.provider, id: request.transaction), spec.historical else { return false }
        let end: String?
        switch request.provider {
        case .kis: end = (request.query.first { $0.name == "FID_INPUT_DATE_2" } ?? request.query.first { $0.name == "FID_INPUT_DATE_1" })?.value
        case .kiwoom:
            let text = String(decoding: request.body, as: UTF8.self)
            end = text.range(of: #""base_dt":""#).map { String(text[$0.upperBound...].prefix(8)) }
        }
        guard let end, let date = KSTDate(end) else { return false }
        return date < today
    }
}
