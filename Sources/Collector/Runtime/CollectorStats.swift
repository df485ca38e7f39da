import BrokerCore
import Synchronization

/// Counters of one collector run, for the exit summary and tests (the same figures go to swift-metrics).
public final class CollectorStats: Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var frames: [Provider: Int] = [:]
        public var records: [Provider: Int] = [:]
        public var published = 0
        public var publishErrors = 0
        public var malformed = 0
        public var fragmented = 0
        public var rawFrames = 0
        public var reconnects: [Provider: Int] = [:]
        public var gaps: [Provider: Int] = [:]
        public var alerts: [String: Int] = [:]
        /// Confirmed registrations per session name.
        public var confirmed: [String: Int] = [:]
        /// Connections made per session name.
        public var connections: [String: Int] = [:]

        public var totalRecords: Int { records.values.reduce(0, +) }
        public var totalConfirmed: Int { confirmed.values.reduce(0, +) }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }
}
