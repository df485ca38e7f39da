import BrokerCore
import Foundation

/// validation → guard → enrichment over one call's snapshots, remembering each symbol's last valid snapshot
/// (for duplicates and the changes since). Pure: the caller archives what it returns.
public struct SnapshotPipeline: Sendable {
    public struct Outcome: Sendable {
        public var accepted: [ObservationSnapshot] = []
        public var rejected: [SnapshotRejection] = []

        public init() {}
    }

    public var validator: SnapshotValidator
    public var snapshotGuard: SnapshotGuard
    private var previous: [String: ObservationSnapshot] = [:]

    public init(validator: SnapshotValidator, snapshotGuard: SnapshotGuard) {
        self.validator = validator
        self.snapshotGuard = snapshotGuard
    }

    /// Symbols whose last snapshot is remembered.
    public var remembered: Int { previous.count }

    /// Runs `snapshots` through the stages; `unanswered` are the symbols the broker reported unknown or left out.
    public mutating func process(
        _ snapshots: [ObservationSnapshot], unanswered: [(symbol: String, detail: String)] = [],
        provider: Provider, mode: ObservationSnapshot.Mode, cycle: Int, now: Date
    ) -> Outcome {
        var outcome = Outcome()
        for snapshot in snapshots {
            func reject(_ reason: SnapshotRejection.Reason, _ detail: String) {
                outcome.rejected.append(SnapshotRejection(
                    reason: reason, provider: snapshot.provider, symbol: snapshot.symbol, detail: detail, mode: snapshot.mode,
                    cycle: snapshot.cycle, at: now, snapshot: snapshot
                ))
            }
            if let (reason, detail) = validator.validate(snapshot) {
                reject(reason, detail)
                continue
            }
            let key = snapshot.provider.rawValue + ":" + snapshot.symbol
            let last = previous[key]
            if let (reason, detail) = snapshotGuard.check(snapshot, previous: last) {
                // A repeat or a halt is still the symbol's latest known state.
                if reason == .duplicate || reason == .halted { previous[key] = snapshot }
                reject(reason, detail)
                continue
            }
            previous[key] = snapshot
            outcome.accepted.append(SnapshotEnricher.enrich(snapshot, previous: last))
        }
        for (symbol, detail) in unanswered {
            outcome.rejected.append(SnapshotRejection(
                reason: .unknownSymbol, provider: provider, symbol: symbol, detail: detail, mode: mode, cycle: cycle, at: now
            ))
        }
        return outcome
    }
}
