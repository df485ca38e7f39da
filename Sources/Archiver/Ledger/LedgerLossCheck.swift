import Foundation
import Realtime

/// Tells a loss from events in flight, so that the ledger's difference can page a person without paging on every
/// batch being written or every database outage (issue #16 item 2). Pure: `LedgerMonitor` feeds it its readings and
/// the archiver's last caught-up moment, and publishes what it returns.
///
/// A reading's published counts become the baseline. Once the archiver has since been caught up — a bus read that
/// found nothing new, with no batch in hand and the spool empty — for at least `grace` after the baseline, every
/// event published before the baseline has been delivered and either committed or lost: stored below the baseline is
/// a loss. While the archiver spools (a database outage) or keeps finding new events it is never caught up, so
/// nothing is judged. Each key's loss is reported once; only growth is reported again.
public struct LedgerLossCheck: Sendable {
    /// Events of one provider, channel and symbol published and never stored.
    public struct Loss: Sendable, Hashable {
        public var key: LedgerKey
        /// Newly found lost events.
        public var added: Int64
        /// Lost in all (published − stored at the check).
        public var total: Int64

        public init(key: LedgerKey, added: Int64, total: Int64) {
            self.key = key
            self.added = added
            self.total = total
        }
    }

    enum State {
        case waiting
        /// Published counts read at `at`.
        case baseline(published: [LedgerKey: Int64], at: Date)
    }

    private(set) var state = State.waiting
    private var reported: [LedgerKey: Int64] = [:]
    let grace: Duration

    public init(grace: Duration = .seconds(10)) {
        self.grace = grace
    }

    /// A ledger reading taken at `now` (published read before stored); `caughtUpAt`: the archiver's last caught-up
    /// moment. Returns the losses found, if the baseline could be judged.
    public mutating func reading(_ report: LedgerReport, at now: Date, caughtUpAt: Date?) -> [Loss] {
        let published = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.key, $0.published) })
        guard case .baseline(let baseline, let at) = state else {
            state = .baseline(published: published, at: now)
            return []
        }
        guard let caughtUpAt, caughtUpAt >= at.addingTimeInterval(grace.timeInterval) else { return [] }
        let stored = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.key, $0.stored) })
        var losses: [Loss] = []
        for (key, count) in baseline.sorted(by: { $0.key < $1.key }) {
            let lost = count - (stored[key] ?? 0)
            let known = reported[key] ?? 0
            guard lost > known else { continue }
            losses.append(Loss(key: key, added: lost - known, total: lost))
            reported[key] = lost
        }
        state = .baseline(published: published, at: now)
        return losses
    }
}
